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

export function SyncBadge({ state }: { state: EntitySyncState | "saving" }) {
  return (
    <span className={`badge badge-${state}`} data-testid="sync-state" data-state={state}>
      {LABELS[state]}
    </span>
  );
}
