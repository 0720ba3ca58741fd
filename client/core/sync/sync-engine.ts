// The sync engine: pushes pending queue items in bounded batches carrying only the changes since
// the synced heads, applies the relay's results, pulls what other devices pushed, and applies
// the relay's live fan-out. Runs never overlap; a sync asked for during a run coalesces into one
// more run after it. Failures become state on the items (retryCount, nextAttemptAt, lastError)
// and on the engine (lastError), never a silent catch.
import { Code, SyncError, codeName, isRetryable } from "../../../schema/status.js";
import { Operation as WireOperation, SyncStatus, type SyncResult } from "../../../schema/protocol/frames.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { Transport } from "../transport/transport.js";
import { RelaySession, type DeviceIdentity, type SyncItemInit } from "../transport/relay-session.js";
import type { Operation, SyncQueueItem } from "../queue/queue-item.js";
import { nextAttemptAt, waitsForManualSync } from "../queue/retry-schedule.js";
import type { SyncQueue } from "../queue/sync-queue.js";
import type { Mutex } from "./mutex.js";
import type { RemoteChanges } from "./remote-changes.js";
import type { SyncTrigger } from "./sync-scheduler.js";

export interface SyncReport {
  trigger: SyncTrigger;
  pushed: number;
  pulled: number;
  conflicts: number;
  errors: number;
}

export interface SyncProgress {
  done: number;
  total: number;
}

export interface SyncLogger {
  event(name: string, fields: Record<string, unknown>): void;
}

export interface PullCursors {
  /** This user's changes pulled up to here. */
  user: bigint;
  /** The exercise library pulled up to here. */
  catalog: bigint;
}

export interface SyncEngineOptions {
  transport: Transport;
  identity: DeviceIdentity;
  entities: EntityStore;
  queue: SyncQueue;
  remote: RemoteChanges;
  lock: Mutex;
  loadCursors(): PullCursors;
  saveCursors(cursors: PullCursors): Promise<void>;
  /** Called after anything the app shows may have changed. */
  notify(): void;
  /** The connection dropped (the scheduler reconnects with back-off). */
  onConnectionLost(): void;
  /** A run finished well (the time is kept with the device's state). */
  onSynced(at: number): Promise<void>;
  /** The relay said its time in the handshake (the device corrects its clock's offset). */
  onRelayTime(serverTime: number, localTime: number): Promise<void>;
  log: SyncLogger;
  now: () => number;
  random: () => number;
  requestTimeoutMs: number;
  /** Upper bound on a batch's change bytes; the relay's frame limit also applies. */
  maxBatchBytes: number;
  /** Upper bound on a batch's items; the relay's limit also applies. */
  maxBatchItems: number;
}

interface Prepared {
  item: SyncQueueItem;
  heads: string[];
  wire: SyncItemInit;
  /** Whether a failure now counts against the item's retry schedule. */
  counts: boolean;
}

const WIRE_OPERATION: Record<Operation, WireOperation> = {
  create: WireOperation.CREATE,
  update: WireOperation.UPDATE,
  delete: WireOperation.DELETE,
};

/** Triggers that try failed items before their scheduled time (but not manual-only ones). */
const EARLY_RETRY: ReadonlySet<SyncTrigger> = new Set(["manual", "reconnect", "online"]);

export class SyncEngine {
  private session: RelaySession | undefined;
  private running: Promise<SyncReport> | undefined;
  private rerun: { promise: Promise<SyncReport>; trigger: SyncTrigger } | undefined;
  private readonly inFlight = new Set<string>();
  private pulledOn: RelaySession | undefined;
  private lastError: SyncError | undefined;
  /** Set while a connection is being set up: a change saved meanwhile starts a push after it. */
  connecting = false;
  /** A settlement queued new work during this run: push it in one more run, right after. */
  private newWork = false;
  progress: SyncProgress | undefined;
  lastSyncAt: number | null = null;
  readonly totals = { pushed: 0, conflicts: 0, runs: 0, failedRuns: 0, latencyMs: [] as number[] };

  constructor(private readonly o: SyncEngineOptions) {}

  get online(): boolean {
    return this.session?.isOpen ?? false;
  }

  get error(): SyncError | undefined {
    return this.lastError;
  }

  /** New work was queued outside a local change (a settlement): push it once this run is done. */
  queueNewWork(): void {
    if (this.running) this.newWork = true;
    else if (this.online) void this.syncNow("local_change").catch(() => undefined); // a failure is state
  }

  isInFlight(entityId: string): boolean {
    return this.inFlight.has(entityId);
  }

  syncNow(trigger: SyncTrigger = "manual"): Promise<SyncReport> {
    if (!this.running) {
      this.running = this.run(trigger).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    if (this.rerun) {
      if (trigger === "manual") this.rerun.trigger = "manual";
      return this.rerun.promise;
    }
    const rerun = { trigger, promise: undefined as unknown as Promise<SyncReport> };
    rerun.promise = this.running
      .catch(() => undefined)
      .then(() => {
        this.rerun = undefined;
        return this.syncNow(rerun.trigger);
      });
    this.rerun = rerun;
    return rerun.promise;
  }

  disconnect(): void {
    const session = this.session;
    this.session = undefined;
    session?.close();
  }

  private async run(trigger: SyncTrigger): Promise<SyncReport> {
    const report: SyncReport = { trigger, pushed: 0, pulled: 0, conflicts: 0, errors: 0 };
    const started = this.o.now();
    const selected = this.select(trigger);
    this.totals.runs += 1;
    try {
      let session: RelaySession;
      try {
        session = await this.connect();
      } catch (err) {
        // Not reaching the relay is never the items' fault: whatever the handshake answered,
        // they stay pending on their retry schedule.
        const error = asSyncError(err, Code.UNAVAILABLE);
        const asTransient = new SyncError(Code.UNAVAILABLE, `cannot sync: ${error.message}`);
        await this.recordFailure(selected.filter((p) => p.counts).map((p) => p.item.entityId), asTransient);
        throw error;
      }
      await this.push(session, selected, report);
      // While connected the relay's fan-out brings other devices' changes; a push right after a
      // local change needs no pull once this connection has pulled.
      if (trigger !== "local_change" || this.pulledOn !== session) {
        await this.pull(session, report);
        this.pulledOn = session;
      }
      this.lastError = undefined;
      if (this.newWork) {
        // A settlement during this run queued the result: it goes out now, not at a later trigger.
        this.newWork = false;
        void this.syncNow("local_change").catch(() => undefined); // a failure is state
      }
      this.lastSyncAt = this.o.now();
      await this.o.onSynced(this.lastSyncAt);
      const duration = this.o.now() - started;
      this.totals.latencyMs.push(duration);
      if (this.totals.latencyMs.length > 100) this.totals.latencyMs.shift();
      this.o.log.event("sync_success", {
        device_id: this.o.identity.deviceId,
        trigger,
        items_synced: report.pushed,
        items_pulled: report.pulled,
        conflicts: report.conflicts,
        errors: report.errors,
        duration_ms: duration,
      });
      return report;
    } catch (err) {
      this.totals.failedRuns += 1;
      this.lastError = asSyncError(err, Code.INTERNAL);
      this.o.log.event("sync_failed", {
        device_id: this.o.identity.deviceId,
        trigger,
        code: codeName(this.lastError.code),
        message: this.lastError.message,
        duration_ms: this.o.now() - started,
      });
      throw this.lastError;
    } finally {
      this.progress = undefined;
      this.o.notify();
    }
  }

  /** The items this run pushes, and whether a failure counts against each one's schedule. */
  private select(trigger: SyncTrigger): { item: SyncQueueItem; counts: boolean }[] {
    const now = this.o.now();
    return this.o.queue.pending().flatMap((item): { item: SyncQueueItem; counts: boolean }[] => {
      const due = (item.nextAttemptAt ?? 0) <= now && !waitsForManualSync(item.retryCount);
      if (trigger === "manual") return [{ item, counts: true }];
      if (due) return [{ item, counts: true }];
      if (EARLY_RETRY.has(trigger) && !waitsForManualSync(item.retryCount)) return [{ item, counts: false }];
      return [];
    });
  }

  private async connect(): Promise<RelaySession> {
    if (this.session?.isOpen) return this.session;
    this.connecting = true;
    try {
      return await this.openSession();
    } finally {
      this.connecting = false;
    }
  }

  private async openSession(): Promise<RelaySession> {
    // Declared first: the connection may close during the handshake, before open() returns.
    let session: RelaySession | undefined;
    const sentAt = this.o.now();
    session = await RelaySession.open({
      transport: this.o.transport,
      identity: this.o.identity,
      timeoutMs: this.o.requestTimeoutMs,
      onChanges: (entities) => void this.applyLive(entities),
      onClosed: () => {
        if (!session || this.session !== session) return;
        this.session = undefined;
        this.o.onConnectionLost();
        this.o.notify();
      },
    });
    this.session = session;
    const serverTime = Number(session.welcome?.serverTime ?? 0n);
    if (serverTime > 0) await this.o.onRelayTime(serverTime, Math.round((sentAt + this.o.now()) / 2));
    this.o.notify();
    return session;
  }

  private async push(session: RelaySession, selected: { item: SyncQueueItem; counts: boolean }[], report: SyncReport): Promise<void> {
    const maxItems = Math.min(this.o.maxBatchItems, session.welcome?.maxBatchItems || this.o.maxBatchItems);
    const maxBytes = Math.min(this.o.maxBatchBytes, (session.welcome?.maxFrameBytes || 1_000_000) / 2);
    this.progress = { done: 0, total: selected.length };
    let rest = selected;
    while (rest.length > 0) {
      const batch = await this.prepareBatch(rest, maxItems, maxBytes);
      rest = rest.slice(batch.taken);
      this.progress.done += batch.taken - batch.prepared.length;
      if (batch.prepared.length === 0) continue;
      for (const p of batch.prepared) this.inFlight.add(p.item.entityId);
      this.o.notify();
      try {
        const results = await this.sendBatch(session, batch.prepared);
        for (const [i, result] of results.entries()) {
          const prepared = batch.prepared[i];
          if (!prepared || prepared.item.entityId !== result.entityId) throw new SyncError(Code.INTERNAL, "relay answered items out of order");
          await this.o.lock.run(() => this.applyResult(prepared, result, report));
        }
      } finally {
        for (const p of batch.prepared) this.inFlight.delete(p.item.entityId);
      }
      // A long catch-up touches every queued document once: keep memory flat by letting go of
      // the ones that are now synced (a short push keeps them, for the next edit).
      if (selected.length > maxItems) {
        await this.o.lock.run(async () => {
          for (const p of batch.prepared) if (this.o.queue.get(p.item.entityId)?.status === "synced") this.o.entities.release(p.item.entityId);
        });
      }
      this.progress.done += batch.prepared.length;
      this.o.notify();
    }
  }

  /** Sends one batch. An expired session is authenticated again and the batch retried once. */
  private async sendBatch(session: RelaySession, prepared: Prepared[]): Promise<SyncResult[]> {
    this.o.log.event("sync_attempt", { device_id: this.o.identity.deviceId, items_count: prepared.length });
    try {
      return await session.sync(prepared.map((p) => p.wire));
    } catch (err) {
      let error = asSyncError(err, Code.INTERNAL);
      if (error.code === Code.UNAUTHENTICATED) {
        this.disconnect();
        try {
          return await (await this.connect()).sync(prepared.map((p) => p.wire));
        } catch (retryErr) {
          error = asSyncError(retryErr, Code.INTERNAL);
        }
      }
      await this.recordFailure(prepared.filter((p) => p.counts).map((p) => p.item.entityId), error);
      throw error;
    }
  }

  private async prepareBatch(
    selected: { item: SyncQueueItem; counts: boolean }[],
    maxItems: number,
    maxBytes: number,
  ): Promise<{ prepared: Prepared[]; taken: number }> {
    const prepared: Prepared[] = [];
    let bytes = 0;
    let taken = 0;
    for (const { item, counts } of selected) {
      if (prepared.length >= maxItems) break;
      const record = this.o.entities.record(item.entityId);
      const current = this.o.queue.get(item.entityId);
      if (!record || current?.status !== "pending") {
        taken += 1; // settled since it was selected (a pull, a live change)
        continue;
      }
      const { heads, changes } = await this.o.entities.changesSince(item.entityId, record.syncedHeads);
      if (prepared.length > 0 && bytes + changes.length > maxBytes) break;
      taken += 1;
      if (changes.length === 0) {
        await this.o.lock.run(() => this.o.queue.update(item.entityId, { status: "synced", retryCount: 0, nextAttemptAt: null, lastError: null }));
        continue;
      }
      bytes += changes.length;
      prepared.push({
        item: current,
        heads,
        counts,
        wire: {
          entityType: item.entityType,
          entityId: item.entityId,
          operation: WIRE_OPERATION[record.serverVersion === 0 ? "create" : current.operation === "create" ? "update" : current.operation],
          data: changes,
          version: record.serverVersion,
          timestamp: BigInt(current.timestamp),
        },
      });
    }
    return { prepared, taken };
  }

  private async applyResult(prepared: Prepared, result: SyncResult, report: SyncReport): Promise<void> {
    const id = prepared.item.entityId;
    const record = this.o.entities.record(id)!;
    switch (result.status) {
      case SyncStatus.SUCCESS: {
        report.pushed += 1;
        this.totals.pushed += 1;
        await this.o.entities.putRecord({
          ...record,
          serverVersion: result.serverVersion,
          syncedHeads: prepared.heads,
          serverTime: Number(result.serverTime),
        });
        const current = await this.o.entities.heads(id);
        await this.o.queue.update(id, {
          status: sameHeads(current, prepared.heads) ? "synced" : "pending",
          version: result.serverVersion,
          retryCount: 0,
          nextAttemptAt: null,
          lastError: null,
        });
        return;
      }
      case SyncStatus.CONFLICT: {
        const askPerson = await this.o.remote.applyServerVersion(id, result.serverData, result.serverVersion, Number(result.serverTime));
        this.o.log.event("sync_conflict", {
          device_id: this.o.identity.deviceId,
          entity_type: prepared.item.entityType,
          entity_id: id,
          client_version: record.serverVersion,
          server_version: result.serverVersion,
          resolution: askPerson ? "user_prompt" : "automatic",
        });
        if (askPerson) {
          report.conflicts += 1;
          this.totals.conflicts += 1;
        }
        return;
      }
      default:
        report.errors += 1;
        // Already under the lock (applyResult runs inside it): mark directly.
        await this.markFailed(prepared.counts ? [id] : [], new SyncError(result.code, result.errorMessage), [id]);
        return;
    }
  }

  /**
   * A failed item keeps its change. Transient failures stay pending on the retry schedule (and
   * count only when the item was due); validation and permission failures are flagged for
   * review and not retried.
   */
  private recordFailure(counted: string[], error: SyncError, also: string[] = []): Promise<void> {
    return this.o.lock.run(() => this.markFailed(counted, error, also));
  }

  /** recordFailure's body, for callers already holding the lock. */
  private async markFailed(counted: string[], error: SyncError, also: string[]): Promise<void> {
    const now = this.o.now();
    for (const id of new Set([...counted, ...also])) {
      const current = this.o.queue.get(id);
      if (!current || current.status !== "pending") continue;
      const retryCount = counted.includes(id) ? current.retryCount + 1 : current.retryCount;
      await this.o.queue.update(id, {
        status: isRetryable(error.code) ? "pending" : "error",
        retryCount,
        nextAttemptAt: isRetryable(error.code) ? nextAttemptAt(retryCount, now, this.o.random) : null,
        lastError: { code: codeName(error.code), message: error.message, at: now },
      });
    }
  }

  private async pull(session: RelaySession, report: SyncReport): Promise<void> {
    let cursors = this.o.loadCursors();
    for (;;) {
      const page = await session.pull(cursors.user, cursors.catalog);
      for (const snapshot of page.entities) {
        if ((await this.o.lock.run(() => this.o.remote.applySnapshot(snapshot))) === "applied") report.pulled += 1;
      }
      const next = { user: maxBigint(cursors.user, page.cursor), catalog: maxBigint(cursors.catalog, page.catalogCursor) };
      if (next.user !== cursors.user || next.catalog !== cursors.catalog) {
        cursors = next;
        await this.o.saveCursors(cursors);
      }
      if (!page.hasMore) return;
    }
  }

  /** The relay's fan-out. The cursor is not advanced here: the next pull confirms it. */
  private async applyLive(entities: Parameters<RemoteChanges["applySnapshot"]>[0][]): Promise<void> {
    try {
      let needsPull = false;
      for (const snapshot of entities) {
        if ((await this.o.lock.run(() => this.o.remote.applySnapshot(snapshot))) === "needs_snapshot") needsPull = true;
      }
      if (needsPull) void this.syncNow("changes_available").catch(() => undefined); // failure is state
    } catch (err) {
      this.o.log.event("live_apply_failed", { device_id: this.o.identity.deviceId, message: (err as Error).message });
    } finally {
      this.o.notify();
    }
  }
}

function asSyncError(err: unknown, fallback: Code): SyncError {
  return err instanceof SyncError ? err : new SyncError(fallback, err instanceof Error ? err.message : String(err));
}

function sameHeads(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}

function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
