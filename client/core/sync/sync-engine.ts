// The sync engine: pushes pending queue items in batches carrying only the changes since the
// synced heads, applies the relay's results, pulls what other devices pushed, and applies the
// relay's live fan-out. Runs never overlap; a sync asked for during a run coalesces into one
// more run after it.
import * as A from "@automerge/automerge";
import { isEntityType, summarize, type EntityDocument } from "../../../schema/entities.js";
import { Code, SyncError, codeName, isRetryable } from "../../../schema/status.js";
import { Operation as WireOperation, SyncStatus, type EntitySnapshot, type SyncResult } from "../../../schema/protocol/frames.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { ConflictSettler } from "../conflicts/settle.js";
import type { Transport } from "../transport/transport.js";
import { RelaySession, type DeviceIdentity, type SyncItemInit } from "../transport/relay-session.js";
import type { Mutex } from "./mutex.js";
import { reconcile } from "./reconcile.js";
import type { Operation, SyncQueueItem } from "./records.js";
import type { SyncQueue } from "./sync-queue.js";

export interface SyncReport {
  pushed: number;
  pulled: number;
  conflicts: number;
  errors: number;
}

export interface SyncLogger {
  event(name: string, fields: Record<string, unknown>): void;
}

export interface SyncEngineOptions {
  transport: Transport;
  identity: DeviceIdentity;
  entities: EntityStore;
  queue: SyncQueue;
  settler: ConflictSettler;
  lock: Mutex;
  loadCursors(): PullCursors;
  saveCursors(cursors: PullCursors): Promise<void>;
  /** The exercise library changed after this device first had it: the person is told. */
  onLibraryChange(id: string, change: "added" | "updated"): Promise<void>;
  /** Called after an entity this device had never seen arrived from the relay. */
  onAdopted(id: string): Promise<void>;
  /** Called after anything the app shows may have changed. */
  notify(): void;
  log: SyncLogger;
  now: () => number;
  requestTimeoutMs: number;
  /** Upper bound on a batch's change bytes; the relay's frame limit also applies. */
  maxBatchBytes: number;
}

export interface PullCursors {
  /** This user's changes pulled up to here. */
  user: bigint;
  /** The exercise library pulled up to here. */
  catalog: bigint;
}

interface Prepared {
  item: SyncQueueItem;
  heads: string[];
  wire: SyncItemInit;
}

const WIRE_OPERATION: Record<Operation, WireOperation> = {
  create: WireOperation.CREATE,
  update: WireOperation.UPDATE,
  delete: WireOperation.DELETE,
};

export class SyncEngine {
  private session: RelaySession | undefined;
  private running: Promise<SyncReport> | undefined;
  private rerun: Promise<SyncReport> | undefined;
  private lastError: SyncError | undefined;
  lastSyncAt: number | null = null;

  constructor(private readonly o: SyncEngineOptions) {}

  get online(): boolean {
    return this.session?.isOpen ?? false;
  }

  get error(): SyncError | undefined {
    return this.lastError;
  }

  syncNow(): Promise<SyncReport> {
    if (!this.running) {
      this.running = this.run().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.rerun ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.rerun = undefined;
        return this.syncNow();
      });
    return this.rerun;
  }

  disconnect(): void {
    this.session?.close();
    this.session = undefined;
  }

  private async run(): Promise<SyncReport> {
    const report: SyncReport = { pushed: 0, pulled: 0, conflicts: 0, errors: 0 };
    const started = this.o.now();
    try {
      let session: RelaySession;
      try {
        session = await this.connect();
      } catch (err) {
        // An attempt that could not reach the relay counts against every pending item.
        const error = err instanceof SyncError ? err : new SyncError(Code.UNAVAILABLE, String(err));
        await this.recordFailure(this.o.queue.pending().map((item) => item.entityId), error);
        throw error;
      }
      await this.push(session, report);
      await this.pull(session, report);
      this.lastError = undefined;
      this.lastSyncAt = this.o.now();
      this.o.log.event("sync_success", {
        device_id: this.o.identity.deviceId,
        items_synced: report.pushed,
        items_pulled: report.pulled,
        duration_ms: this.o.now() - started,
      });
      return report;
    } catch (err) {
      this.lastError = err instanceof SyncError ? err : new SyncError(Code.INTERNAL, (err as Error).message);
      this.o.log.event("sync_failed", {
        device_id: this.o.identity.deviceId,
        code: codeName(this.lastError.code),
        message: this.lastError.message,
      });
      throw this.lastError;
    } finally {
      this.o.notify();
    }
  }

  private async connect(): Promise<RelaySession> {
    if (this.session?.isOpen) return this.session;
    this.session = await RelaySession.open({
      transport: this.o.transport,
      identity: this.o.identity,
      timeoutMs: this.o.requestTimeoutMs,
      onChanges: (entities) => void this.applyLive(entities),
      onClosed: () => {
        this.session = undefined;
        this.o.notify();
      },
    });
    this.o.notify();
    return this.session;
  }

  private async push(session: RelaySession, report: SyncReport): Promise<void> {
    const maxItems = session.welcome?.maxBatchItems || 100;
    const maxBytes = Math.min(this.o.maxBatchBytes, (session.welcome?.maxFrameBytes || 1_000_000) / 2);
    let pending = this.o.queue.pending();
    while (pending.length > 0) {
      const batch = await this.prepareBatch(pending, maxItems, maxBytes);
      pending = pending.slice(batch.taken);
      if (batch.prepared.length === 0) continue;
      this.o.log.event("sync_attempt", { device_id: this.o.identity.deviceId, items_count: batch.prepared.length });
      let results: SyncResult[];
      try {
        results = await session.sync(batch.prepared.map((p) => p.wire));
      } catch (err) {
        const error = err instanceof SyncError ? err : new SyncError(Code.INTERNAL, String(err));
        await this.recordFailure(batch.prepared.map((p) => p.item.entityId), error);
        throw error;
      }
      for (const [i, result] of results.entries()) {
        const prepared = batch.prepared[i];
        if (!prepared || prepared.item.entityId !== result.entityId) {
          throw new SyncError(Code.INTERNAL, "relay answered items out of order");
        }
        await this.o.lock.run(() => this.applyResult(prepared, result, report));
      }
    }
  }

  private async prepareBatch(
    pending: SyncQueueItem[],
    maxItems: number,
    maxBytes: number,
  ): Promise<{ prepared: Prepared[]; taken: number }> {
    const prepared: Prepared[] = [];
    let bytes = 0;
    let taken = 0;
    for (const item of pending) {
      if (prepared.length >= maxItems) break;
      const record = this.o.entities.record(item.entityId);
      if (!record) {
        taken += 1;
        continue;
      }
      const doc = await this.o.entities.doc(item.entityId);
      const heads = A.getHeads(doc);
      const changes = A.saveSince(doc, record.syncedHeads);
      if (prepared.length > 0 && bytes + changes.length > maxBytes) break;
      taken += 1;
      if (changes.length === 0) {
        await this.o.lock.run(() => this.o.queue.update(item.entityId, { status: "synced", retryCount: 0, lastError: null }));
        continue;
      }
      bytes += changes.length;
      prepared.push({
        item,
        heads,
        wire: {
          entityType: item.entityType,
          entityId: item.entityId,
          operation: WIRE_OPERATION[record.serverVersion === 0 ? "create" : item.operation === "create" ? "update" : item.operation],
          data: changes,
          version: record.serverVersion,
          timestamp: BigInt(item.timestamp),
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
        await this.o.entities.putRecord({
          ...record,
          serverVersion: result.serverVersion,
          syncedHeads: prepared.heads,
          serverTime: Number(result.serverTime),
        });
        const current = A.getHeads(await this.o.entities.doc(id));
        const settled = sameHeads(current, prepared.heads);
        await this.o.queue.update(id, {
          status: settled ? "synced" : "pending",
          version: result.serverVersion,
          retryCount: 0,
          lastError: null,
        });
        return;
      }
      case SyncStatus.CONFLICT:
        this.o.log.event("sync_conflict", {
          entity_type: prepared.item.entityType,
          entity_id: id,
          client_version: record.serverVersion,
          server_version: result.serverVersion,
        });
        if (await this.applyServerVersion(id, result.serverData, result.serverVersion, Number(result.serverTime))) {
          report.conflicts += 1;
        }
        return;
      default: {
        report.errors += 1;
        const error = new SyncError(result.code, result.errorMessage);
        await this.recordFailure([id], error);
        return;
      }
    }
  }

  /** A failed item keeps its change: retryable errors stay pending, others wait for review. */
  private async recordFailure(entityIds: string[], error: SyncError): Promise<void> {
    await this.o.lock.run(async () => {
      for (const id of entityIds) {
        const current = this.o.queue.get(id);
        if (!current) continue;
        await this.o.queue.update(id, {
          status: isRetryable(error.code) ? "pending" : "error",
          retryCount: current.retryCount + 1,
          lastError: { code: codeName(error.code), message: error.message, at: this.o.now() },
        });
      }
    });
  }

  private async pull(session: RelaySession, report: SyncReport): Promise<void> {
    let cursors = this.o.loadCursors();
    for (;;) {
      const page = await session.pull(cursors.user, cursors.catalog);
      for (const snapshot of page.entities) {
        if (await this.o.lock.run(() => this.applySnapshot(snapshot))) report.pulled += 1;
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
  private async applyLive(entities: EntitySnapshot[]): Promise<void> {
    try {
      for (const snapshot of entities) await this.o.lock.run(() => this.applySnapshot(snapshot));
    } catch (err) {
      this.o.log.event("live_apply_failed", { message: (err as Error).message });
    } finally {
      this.o.notify();
    }
  }

  /** Returns true when the snapshot changed something on this device. */
  private async applySnapshot(snapshot: EntitySnapshot): Promise<boolean> {
    if (!isEntityType(snapshot.entityType)) return false;
    const record = this.o.entities.record(snapshot.entityId);
    if (record && snapshot.version <= record.serverVersion) return false;
    if (snapshot.entityType === "exercise_definition" && (record || this.o.loadCursors().catalog > 0n)) {
      await this.o.onLibraryChange(snapshot.entityId, record ? "updated" : "added");
    }
    if (!record) {
      const doc = await this.o.entities.adopt(snapshot.entityType, snapshot.entityId, snapshot.data);
      const adopted = this.o.entities.record(snapshot.entityId)!;
      await this.o.entities.putRecord({
        ...adopted,
        serverVersion: snapshot.version,
        syncedHeads: A.getHeads(doc as A.Doc<unknown>),
        serverTime: Number(snapshot.serverTime),
      });
      await this.o.onAdopted(snapshot.entityId);
      return true;
    }
    await this.applyServerVersion(snapshot.entityId, snapshot.data, snapshot.version, Number(snapshot.serverTime));
    return true;
  }

  /**
   * Brings a newer relay version of a known entity onto this device. Returns true when it
   * could not be settled by history and became a conflict.
   */
  private async applyServerVersion(id: string, bytes: Uint8Array, version: number, serverTime: number): Promise<boolean> {
    const record = this.o.entities.record(id)!;
    const server = A.load<EntityDocument>(bytes);
    const serverHeads = A.getHeads(server);
    const local = await this.o.entities.doc(id);
    const decision = reconcile(local, server);
    try {
      switch (decision.kind) {
        case "fast_forward": {
          const doc = await this.o.entities.merge(id, server);
          await this.o.entities.putRecord({ ...record, serverVersion: version, syncedHeads: serverHeads, serverTime, summary: summarize(doc) });
          await this.o.queue.update(id, { status: "synced", version, retryCount: 0, lastError: null, conflict: null });
          return false;
        }
        case "already_merged":
          await this.o.entities.putRecord({ ...record, serverVersion: version, syncedHeads: serverHeads, serverTime });
          await this.o.queue.update(id, { status: "pending", version, conflict: null });
          return false;
        case "concurrent":
          return await this.o.settler.concurrent(id, { doc: server, bytes, version, serverTime });
      }
    } finally {
      A.free(server);
    }
  }
}

function sameHeads(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}

function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
