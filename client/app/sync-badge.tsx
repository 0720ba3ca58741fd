// One entity's sync state, in words a person reads at a glance.
import type { EntitySyncState } from "../core/index.js";

const LABELS: Record<EntitySyncState | "saving", string> = {
  saving: "Saving…",
  saved_on_device: "Saved on this device",
  syncing: "Syncing…",
  synced: "Synced",
  conflict: "Conflict",
  needs_attention: "Needs attention",
};

/** `live`: the one badge of an open entity, whose changes a screen reader announces (not every row of a list). */
export function SyncBadge({ state, live = false }: { state: EntitySyncState | "saving"; live?: boolean }) {
  return (
    <span className={`badge badge-${state}`} data-testid="sync-state" data-state={state} {...(live ? { role: "status" } : {})}>
      {LABELS[state]}
    </span>
  );
}
