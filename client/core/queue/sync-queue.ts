// The sync queue: in memory for reads, every change written through to storage before it is
// reported, so a killed device restarts with exactly the queue it had.
// Specification: docs/sync-engine.md
import { CONFLICT_STRATEGIES } from "../../../schema/strategies.js";
import { codeName, isRetryable, type SyncError } from "../../../schema/status.js";
import type { RecordStore, UnreadableRecord } from "../storage/record-store.js";
import type { Operation, SyncQueueItem, UnsyncedChanges } from "./queue-item.js";
import { nextAttemptAt, waitsForManualSync } from "./retry-schedule.js";

export class SyncQueue {
  private readonly items = new Map<string, SyncQueueItem>();

  constructor(private readonly store: RecordStore<SyncQueueItem>) {}

  /** Reads every item; those that do not read are returned (their entities are queued again at open). */
  async load(): Promise<UnreadableRecord[]> {
    const { values, unreadable } = await this.store.readable();
    for (const item of values) {
      // A copy of the document an earlier build kept in the item: unread, and not written back.
      delete item.data;
      this.items.set(item.entityId, item);
    }
    return unreadable;
  }

  get(entityId: string): SyncQueueItem | undefined {
    return this.items.get(entityId);
  }

  all(): SyncQueueItem[] {
    return [...this.items.values()];
  }

  /** Items waiting to push, workouts before statistics, oldest first within a type. */
  pending(): SyncQueueItem[] {
    return this.all()
      .filter((item) => item.status === "pending")
      .sort(
        (a, b) =>
          CONFLICT_STRATEGIES[a.entityType].syncPriority - CONFLICT_STRATEGIES[b.entityType].syncPriority ||
          a.timestamp - b.timestamp,
      );
  }

  /** The earliest time a failed item is due again, for the scheduler. */
  nextRetryAt(): number | null {
    let next: number | null = null;
    for (const item of this.items.values()) {
      if (item.status !== "pending" || item.nextAttemptAt === null || waitsForManualSync(item.retryCount)) continue;
      if (next === null || item.nextAttemptAt < next) next = item.nextAttemptAt;
    }
    return next;
  }

  /** Items that failed five times and wait for the person to sync by hand. */
  waitingForManualSync(): SyncQueueItem[] {
    return this.all().filter((item) => item.status === "pending" && waitsForManualSync(item.retryCount));
  }

  get depth(): number {
    let n = 0;
    for (const item of this.items.values()) if (item.status !== "synced") n += 1;
    return n;
  }

  /**
   * Records a local change. A create stays a create until it is synced; a delete wins. A new
   * change is new work: it is due at once, whatever an earlier failure scheduled (retry timers
   * are for failures), and an item the relay refused is tried again with it.
   */
  async recordLocalChange(
    change: Pick<SyncQueueItem, "entityType" | "entityId" | "timestamp" | "version" | "heads"> & { operation: Operation; unsynced?: UnsyncedChanges | null },
  ): Promise<SyncQueueItem> {
    const previous = this.items.get(change.entityId);
    const unsynced = previous && previous.status !== "synced";
    const operation: Operation =
      change.operation === "delete" ? "delete" : unsynced && previous.operation === "create" ? "create" : change.operation;
    const item: SyncQueueItem = {
      ...change,
      operation,
      status: previous?.status === "conflict" ? "conflict" : "pending",
      retryCount: 0,
      nextAttemptAt: null,
      lastError: null,
      conflict: previous?.status === "conflict" ? previous.conflict : null,
      unsynced: change.unsynced ?? null,
    };
    await this.put(item);
    return item;
  }

  /**
   * Queues the entity to push on `version` at once (a settlement or a merge made new work), as a
   * fresh item when it had none: any open conflict on it is over.
   */
  async markPending(entityId: string, entityType: SyncQueueItem["entityType"], version: number, timestamp: number): Promise<void> {
    const previous = this.items.get(entityId);
    await this.put({
      entityType,
      entityId,
      operation: previous && previous.status !== "synced" ? previous.operation : "update",
      timestamp: previous?.timestamp ?? timestamp,
      version,
      status: "pending",
      retryCount: 0,
      nextAttemptAt: null,
      lastError: null,
      conflict: null,
      // The document changed by other means than a local change: push from the document.
      unsynced: null,
      heads: undefined,
    });
  }

  /**
   * The unsynced changes an item keeps no longer describe the document (its write failed, or the
   * device found them missing from the document): pushes compute them from the document again.
   * Forgotten in memory first, so this process never sends them even if storing fails.
   */
  async forgetUnsynced(entityId: string): Promise<void> {
    const item = this.items.get(entityId);
    if (!item?.unsynced) return;
    const next = { ...item, unsynced: null };
    this.items.set(entityId, next);
    await this.store.put(entityId, next);
  }

  async put(item: SyncQueueItem): Promise<void> {
    await this.store.put(item.entityId, item);
    this.items.set(item.entityId, item);
  }

  /**
   * A failed attempt. The item keeps its change. A transient failure leaves it pending on the
   * retry schedule (counted only when `counted`: the item was due); a refusal (validation,
   * permission) flags it for review, not retried in a loop.
   */
  async recordFailure(entityId: string, error: SyncError, counted: boolean, now: number, random: () => number): Promise<void> {
    const current = this.items.get(entityId);
    if (!current || current.status !== "pending") return;
    const retryCount = counted ? current.retryCount + 1 : current.retryCount;
    const retryable = isRetryable(error.code);
    await this.update(entityId, {
      status: retryable ? "pending" : "error",
      retryCount,
      nextAttemptAt: retryable ? nextAttemptAt(retryCount, now, random) : null,
      lastError: { code: codeName(error.code), message: error.message, at: now },
    });
  }

  /**
   * The relay stored the item's changes (or there were none to push). A synced item leaves
   * storage (it stays in memory for this session): an entity without an item is synced, and
   * nothing of a synced item is read again, so a delete replaces a write on every push. In the
   * Node device's files a write is a new file and a rename, 0.4-0.9 ms of kernel CPU on this
   * machine kind, an unlink 0.01 ms; an edit reaching another device was eight writes.
   */
  async markSynced(entityId: string, stillPending: boolean, version?: number): Promise<void> {
    const item = this.items.get(entityId);
    if (!item) return;
    const next: SyncQueueItem = {
      ...item,
      status: stillPending ? "pending" : "synced",
      ...(version === undefined ? {} : { version }),
      retryCount: 0,
      nextAttemptAt: null,
      lastError: null,
    };
    if (stillPending) return this.put(next);
    await this.store.remove(entityId);
    this.items.set(entityId, next);
  }

  /** The person asks to try a refused item again (after fixing it, or because it may now pass). */
  async retry(entityId: string): Promise<void> {
    const item = this.items.get(entityId);
    if (!item || item.status !== "error") return;
    await this.update(entityId, { status: "pending", retryCount: 0, nextAttemptAt: null, lastError: null });
  }

  async remove(entityId: string): Promise<void> {
    await this.store.remove(entityId);
    this.items.delete(entityId);
  }

  async update(entityId: string, patch: Partial<SyncQueueItem>): Promise<SyncQueueItem | undefined> {
    const item = this.items.get(entityId);
    if (!item) return undefined;
    const next = { ...item, ...patch };
    await this.put(next);
    return next;
  }
}
