// What a sync run sends, and when: pure decisions over queue items, tested under a fake clock
// without sockets (test/client/sync-policy.test.ts). The engine carries them out.
// Specification: docs/sync-engine.md
import type { Welcome } from "../../../schema/protocol/frames.js";
import { Operation as WireOperation } from "../../../schema/protocol/frames.js";
import type { Operation, SyncQueueItem } from "../queue/queue-item.js";
import { waitsForManualSync } from "../queue/retry-schedule.js";
import type { SyncTrigger } from "./sync-scheduler.js";

/** An item a run pushes, and whether a failure now counts against its retry schedule. */
export interface Candidate {
  item: SyncQueueItem;
  counts: boolean;
}

/** Triggers that try failed items before their scheduled time (but not manual-only ones). */
const EARLY_RETRY: ReadonlySet<SyncTrigger> = new Set(["manual", "reconnect", "online", "relay_restarting"]);

/**
 * The pending items a run pushes. Due items count a failure; a reconnect or the network coming
 * back tries items early without counting it; only the person's "sync now" takes the items that
 * wait for a manual sync.
 */
export function selectForRun(pending: readonly SyncQueueItem[], trigger: SyncTrigger, now: number): Candidate[] {
  return pending.flatMap((item): Candidate[] => {
    const manualOnly = waitsForManualSync(item.retryCount);
    if (trigger === "manual") return [{ item, counts: true }];
    if (manualOnly) return [];
    if ((item.nextAttemptAt ?? 0) <= now) return [{ item, counts: true }];
    return EARLY_RETRY.has(trigger) ? [{ item, counts: false }] : [];
  });
}

export interface BatchLimits {
  items: number;
  bytes: number;
}

/** The device's own batch limits, lowered to what the relay announced in its Welcome. */
export function batchLimits(welcome: Welcome | undefined, own: BatchLimits): BatchLimits {
  return {
    items: Math.min(own.items, welcome?.maxBatchItems || own.items),
    // Half the frame: the rest of the item and the frame's framing stay well inside it.
    bytes: Math.min(own.bytes, (welcome?.maxFrameBytes || 1_000_000) / 2),
  };
}

const WIRE_OPERATION: Record<Operation, WireOperation> = {
  create: WireOperation.CREATE,
  update: WireOperation.UPDATE,
  delete: WireOperation.DELETE,
};

/** An entity the relay has never stored is a create, whatever the queue says; a create stays one until then. */
export function wireOperation(serverVersion: number, operation: Operation): WireOperation {
  if (serverVersion === 0) return WireOperation.CREATE;
  return WIRE_OPERATION[operation === "create" ? "update" : operation];
}

/** A long catch-up lets go of each synced document once pushed, so memory stays flat. */
export function isLongCatchUp(candidates: number, limits: BatchLimits): boolean {
  return candidates > limits.items;
}
