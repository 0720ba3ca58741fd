// The public client: what an app (the React app, a Node script, a test device) uses. It owns the
// device's storage, entity store, sync queue and sync engine, and tells subscribers when
// anything they show may have changed.
import type { EntityDocument, EntitySummary, EntityType, Payloads, Resolution } from "../../schema/entities.js";
import { Code, SyncError, codeName } from "../../schema/status.js";
import { CONFLICT_STRATEGIES } from "../../schema/strategies.js";
import type { DuplicateFlag, LibraryNotice } from "./conflicts/notices.js";
import type { ConflictChoice } from "./conflicts/plan-resolution.js";
import { restoreResolution } from "./conflicts/restore.js";
import { openDeviceParts, type DeviceOptions, type DeviceParts } from "./device-parts.js";
import type { ChangeOptions } from "./entities/entity-store.js";
import type { SyncQueueItem } from "./queue/queue-item.js";
import { waitsForManualSync } from "./queue/retry-schedule.js";
import type { SyncProgress, SyncReport } from "./sync/sync-engine.js";

export interface ClientOptions extends DeviceOptions {
  /** Push right after each local change while connected (default true). */
  syncOnChange?: boolean;
}

/** Per-entity state the app shows. */
export type EntitySyncState = "saved_on_device" | "syncing" | "synced" | "conflict" | "needs_attention";

export interface EntityListItem extends EntitySummary {
  syncState: EntitySyncState;
  serverVersion: number;
}

export interface SyncStatusSnapshot {
  online: boolean;
  queueDepth: number;
  lastSyncAt: number | null;
  lastError: { code: string; message: string } | null;
  conflicts: number;
  /** Items whose five retries failed; the person is told to check the connection and sync. */
  waitingForManualSync: number;
  /** Set while a sync pushes: done / total items. */
  progress: SyncProgress | null;
}

/** The device-side figures of the source's metrics. */
export interface SyncMetrics {
  queueDepth: number;
  /** Conflicts that needed the person, per item pushed. */
  conflictRate: number;
  /** Duration of recent successful syncs, ms. */
  syncLatencyMs: { last: number | null; p50: number | null; max: number | null };
  /** How many pending items have failed n times, by n. */
  retryCounts: Record<number, number>;
  waitingForManualSync: number;
  runs: number;
  failedRuns: number;
}

/** A resolution record with the entity it belongs to and what this device knows of it. */
export interface ResolutionEntry extends Resolution {
  entityId: string;
  entityType: EntityType;
  /** The person has seen it on this device. */
  seen: boolean;
  /** Whether restoring it would bring something back (not restored yet, and something was lost). */
  restorable: boolean;
}

export const MANUAL_SYNC_MESSAGE = "Some changes couldn't sync. Check connection.";

export class IronFlowClient {
  private readonly listeners = new Set<() => void>();
  private closed = false;
  readonly deviceId: string;

  private constructor(
    private readonly parts: DeviceParts,
    private readonly syncOnChange: boolean,
  ) {
    this.deviceId = parts.state.deviceId;
  }

  static async open(options: ClientOptions): Promise<IronFlowClient> {
    let client: IronFlowClient | undefined;
    const parts = await openDeviceParts(options, () => client?.emit());
    client = new IronFlowClient(parts, options.syncOnChange ?? true);
    return client;
  }

  private get entities() {
    return this.parts.entities;
  }
  private get queue() {
    return this.parts.queue;
  }
  private get engine() {
    return this.parts.engine;
  }
  private get lock() {
    return this.parts.lock;
  }
  private now(): number {
    return this.parts.now();
  }

  /** Creates an entity; resolves with its id once it is saved on this device. */
  async create<T extends EntityType>(type: T, payload: Payloads[T]): Promise<string> {
    refuseReadOnly(type);
    const id = await this.lock.run(async () => {
      // The queue item is written first: a device killed before the document is stored recovers
      // it on open (device-parts.ts), and one killed after finds it queued.
      const { doc } = await this.entities.create(type, payload, (doc) =>
        this.queue.recordLocalChange({ entityType: type, entityId: doc.id, operation: "create", data: doc, timestamp: this.now(), version: 0 }).then(() => undefined),
      );
      await this.parts.checkDuplicate(doc.id);
      return doc.id;
    });
    this.afterLocalChange();
    return id;
  }

  /**
   * Changes an entity's payload; resolves once saved on this device. `mutate` edits a plain
   * copy; an invalid result throws INVALID_ARGUMENT and changes nothing.
   */
  async update<T extends EntityType>(id: string, mutate: (payload: Payloads[T]) => void, options: { basedOn?: string[] } = {}): Promise<void> {
    // A screen still open on an entity deleted meanwhile (even while this change waited for the
    // lock): saving into the tombstone would hide the edit. The person restores it first.
    await this.localChange(id, "update", (doc) => mutate(doc.payload as Payloads[T]), { ...options, refuseDeleted: true });
  }

  /** Marks an entity deleted (a tombstone that syncs like any change). */
  async delete(id: string): Promise<void> {
    await this.localChange(id, "delete", (doc) => {
      doc.deleted = { at: this.now(), hlc: "", deviceId: this.deviceId }; // hlc: stamped with this change's
    });
  }

  async get<T extends EntityType = EntityType>(id: string): Promise<EntityDocument<T> | undefined> {
    return (await this.read<T>(id))?.doc;
  }

  /**
   * The document and its heads. An editor keeps the heads of what it shows and passes them to
   * update() as `basedOn`: only what the person changed is written, and a value they typed over
   * a change that arrived meanwhile is recorded, not silently lost.
   */
  async read<T extends EntityType = EntityType>(id: string): Promise<{ doc: EntityDocument<T>; heads: string[] } | undefined> {
    if (!this.entities.record(id)) return undefined;
    const [doc, heads] = await Promise.all([this.entities.json(id), this.entities.heads(id)]);
    return { doc: doc as EntityDocument<T>, heads };
  }

  /** Draws from the per-entity summaries: never loads a document. Newest first. */
  list(type?: EntityType, options: { includeDeleted?: boolean } = {}): EntityListItem[] {
    return this.entities
      .allRecords()
      .filter((r) => (!type || r.type === type) && (options.includeDeleted || !r.summary.deleted))
      .map((r) => ({ ...r.summary, serverVersion: r.serverVersion, syncState: this.syncState(r.id) }))
      .sort((a, b) => b.date - a.date);
  }

  syncState(id: string): EntitySyncState {
    const item = this.queue.get(id);
    if (!item || item.status === "synced") return "synced";
    if (item.status === "conflict") return "conflict";
    if (item.status === "error" || waitsForManualSync(item.retryCount)) return "needs_attention";
    return this.engine.isInFlight(id) ? "syncing" : "saved_on_device";
  }

  queueItems(): SyncQueueItem[] {
    return this.queue.all();
  }

  conflicts(): SyncQueueItem[] {
    return this.queue.all().filter((item) => item.status === "conflict");
  }

  /** Keeps this device's version, the other device's, or Automerge's merge of both. */
  async resolveConflict(id: string, choice: ConflictChoice): Promise<void> {
    await this.lock.run(() => this.parts.settler.choose(id, choice));
    this.afterLocalChange();
  }

  /**
   * What was resolved without asking the person, or what their choice could not keep: the
   * resolution records of every entity (deleted ones included), newest first. They live in the
   * documents, so every device of the person shows the same ones.
   */
  resolutions(): ResolutionEntry[] {
    return this.entities
      .allRecords()
      .flatMap((record) =>
        (record.resolutions ?? []).map((r): ResolutionEntry => ({
          ...r,
          entityId: record.id,
          entityType: record.type,
          seen: this.parts.board.isSeen(r.id),
          restorable: r.restoredAt === null && (r.kind === "overwritten" || r.kind === "edit_lost_to_delete" || r.kind === "dropped_by_merge"),
        })),
      )
      .sort((a, b) => b.at - a.at);
  }

  /** Brings back what a resolution record lists, on top of the document as it is now. */
  async restoreResolution(resolutionId: string): Promise<void> {
    const entry = this.resolutions().find((r) => r.id === resolutionId);
    if (!entry) throw new SyncError(Code.NOT_FOUND, `no resolution ${resolutionId}`);
    await this.localChange(entry.entityId, "update", (doc) => restoreResolution(doc, resolutionId, this.now()));
    await this.parts.board.markSeen([resolutionId]);
    this.emit();
  }

  /** The person has seen these records here (the app's count of unseen ones goes down). */
  async markResolutionsSeen(ids: string[] = this.resolutions().map((r) => r.id)): Promise<void> {
    await this.parts.board.markSeen(ids);
    this.emit();
  }

  /** The relay's exercise library changed (each device hears it itself). */
  libraryNotices(): LibraryNotice[] {
    return this.parts.board.libraryNotices();
  }

  async dismissLibraryNotice(id: string): Promise<void> {
    if (await this.parts.board.dismissLibraryNotice(id)) this.emit();
  }

  /** Pairs of workouts logged for the same time, maybe one session on two devices. */
  duplicates(): DuplicateFlag[] {
    return this.parts.board.allDuplicates();
  }

  /** Keeps both as they are, or deletes one, or merges the other's exercises into `keep` and deletes the other. */
  async resolveDuplicate(flagId: string, action: { kind: "keep_both" } | { kind: "delete" | "merge"; keep: string }): Promise<void> {
    const flag = this.parts.board.duplicate(flagId);
    if (!flag) throw new SyncError(Code.NOT_FOUND, `no duplicate flag ${flagId}`);
    if (action.kind !== "keep_both") {
      const other = flag.entityIds.find((id) => id !== action.keep);
      if (!other || !flag.entityIds.includes(action.keep)) throw new SyncError(Code.INVALID_ARGUMENT, "keep must be one of the pair");
      if (action.kind === "merge") {
        const source = await this.get<"workout">(other);
        await this.update<"workout">(action.keep, (w) => {
          const known = new Set(w.exercises.map((e) => e.id));
          for (const exercise of source?.payload.exercises ?? []) if (!known.has(exercise.id)) w.exercises.push(structuredClone(exercise));
        });
      }
      await this.delete(other);
    }
    await this.parts.board.dismissDuplicate(flagId);
    this.emit();
  }

  status(): SyncStatusSnapshot {
    const error = this.engine.error;
    return {
      online: this.engine.online,
      queueDepth: this.queue.depth,
      lastSyncAt: this.engine.lastSyncAt,
      lastError: error ? { code: codeName(error.code), message: error.message } : null,
      conflicts: this.conflicts().length,
      waitingForManualSync: this.queue.waitingForManualSync().length,
      progress: this.engine.progress ? { ...this.engine.progress } : null,
    };
  }

  metrics(): SyncMetrics {
    const latencies = [...this.engine.totals.latencyMs].sort((a, b) => a - b);
    const retryCounts: Record<number, number> = {};
    for (const item of this.queue.pending()) retryCounts[item.retryCount] = (retryCounts[item.retryCount] ?? 0) + 1;
    return {
      queueDepth: this.queue.depth,
      conflictRate: this.engine.totals.pushed === 0 ? 0 : this.engine.totals.conflicts / this.engine.totals.pushed,
      syncLatencyMs: {
        last: this.engine.totals.latencyMs.at(-1) ?? null,
        p50: latencies.length ? latencies[Math.floor(latencies.length / 2)]! : null,
        max: latencies.at(-1) ?? null,
      },
      retryCounts,
      waitingForManualSync: this.queue.waitingForManualSync().length,
      runs: this.engine.totals.runs,
      failedRuns: this.engine.totals.failedRuns,
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The person's "sync now": pushes everything pending (also items waiting for a manual sync)
   * and pulls what other devices pushed. Rejects with a SyncError.
   */
  syncNow(): Promise<SyncReport> {
    if (this.closed) return Promise.reject(new SyncError(Code.FAILED_PRECONDITION, "client is closed"));
    return this.parts.scheduler.run<SyncReport>("manual").then((report) => report!);
  }

  /**
   * Automatic syncing: every 5 minutes while active, on return to the foreground (here, when
   * `active` turns true), on failed items coming due, and reconnects with back-off.
   */
  setActive(active: boolean): void {
    if (!this.closed) this.parts.scheduler.setActive(active);
  }

  /** The network is back (the browser's `online` event). */
  networkOnline(): Promise<void> {
    return this.parts.scheduler.trigger("online");
  }

  /** Marks a workout completed; resolves once saved, and syncs right away if online. */
  async completeWorkout(id: string, at = this.now()): Promise<void> {
    await this.localChange(id, "update", (doc) => {
      (doc.payload as Payloads["workout"]).completedAt = at;
    });
    if (this.engine.online) await this.parts.scheduler.trigger("workout_completed");
  }

  /** Disconnects from the relay; local use goes on. */
  goOffline(): void {
    this.engine.disconnect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.parts.scheduler.stop();
    this.engine.disconnect();
    // Whatever was being written finishes before the storage is let go of.
    await this.lock.run(async () => undefined);
    this.listeners.clear();
  }

  private async localChange(id: string, operation: "update" | "delete", mutate: (doc: EntityDocument) => void, options: Pick<ChangeOptions, "basedOn" | "refuseDeleted"> = {}): Promise<void> {
    const record = this.entities.record(id);
    if (!record) throw new SyncError(Code.NOT_FOUND, `no entity ${id} on this device`);
    refuseReadOnly(record.type);
    await this.lock.run(() =>
      this.entities.change(id, mutate, {
        ...options,
        // Queued before the document is written: a kill in between leaves a queued item whose
        // changes are found at the next push (or none, and it is marked synced).
        beforeWrite: (doc) =>
          this.queue
            .recordLocalChange({ entityType: record.type, entityId: id, operation, data: doc, timestamp: this.now(), version: this.entities.record(id)!.serverVersion })
            .then(() => undefined),
      }),
    );
    this.afterLocalChange();
  }

  private afterLocalChange(): void {
    this.emit();
    // Pushed at once when a connection is up or being set up (a run in progress picks it up in
    // one more run right after). A failed background sync becomes state (status().lastError).
    if (this.syncOnChange && (this.engine.online || this.engine.connecting)) void this.parts.scheduler.trigger("local_change");
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** Server-authoritative types are read-only on a device: refused here, and again at the relay. */
function refuseReadOnly(type: EntityType): void {
  if (!CONFLICT_STRATEGIES[type].deviceWritable) {
    throw new SyncError(Code.PERMISSION_DENIED, `${type} is managed by IronFlow; devices only read it`);
  }
}
