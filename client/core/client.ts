// The public client: what an app (the React app, a Node script, a test device) uses. It owns the
// device's storage, entity store, sync queue and sync engine, and tells subscribers when
// anything they show may have changed.
import { Repo, type PeerId, type StorageAdapterInterface } from "@automerge/automerge-repo";
import type { EntityDocument, EntitySummary, EntityType, Payloads } from "../../schema/entities.js";
import { Code, SyncError } from "../../schema/status.js";
import { CONFLICT_STRATEGIES } from "../../schema/strategies.js";
import { HybridLogicalClock } from "./clock/hlc.js";
import { EntityStore } from "./entities/entity-store.js";
import { ConflictSettler } from "./conflicts/settle.js";
import { NoticeBoard } from "./conflicts/notice-board.js";
import { assignJson } from "./conflicts/assign-json.js";
import type { ConflictChoice, DuplicateFlag, Notice } from "./conflicts/records.js";
import { BlobStore, RecordStore } from "./storage/records.js";
import { Mutex } from "./sync/mutex.js";
import type { EntityRecord, SyncQueueItem } from "./sync/records.js";
import { SyncEngine, type SyncLogger, type SyncReport } from "./sync/sync-engine.js";
import { SyncQueue } from "./sync/sync-queue.js";
import type { Transport } from "./transport/transport.js";

export interface ClientOptions {
  /** Where everything the device keeps lives (IndexedDB, files, or an encrypting wrapper). */
  storage: StorageAdapterInterface;
  transport: Transport;
  /** Until accounts exist, the device names its user; the relay decides in one place. */
  userId: string;
  deviceName: string;
  now?: () => number;
  log?: SyncLogger;
  requestTimeoutMs?: number;
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
}

interface DeviceState {
  deviceId: string;
  deviceName: string;
  /** The relay cursors this device has pulled up to (bigints as strings). */
  cursor: string;
  catalogCursor?: string;
}

export class IronFlowClient {
  private readonly listeners = new Set<() => void>();
  private closed = false;

  private constructor(
    readonly deviceId: string,
    private readonly repo: Repo,
    private readonly entities: EntityStore,
    private readonly queue: SyncQueue,
    private readonly engine: SyncEngine,
    private readonly lock: Mutex,
    private readonly settler: ConflictSettler,
    private readonly board: NoticeBoard,
    private readonly checkDuplicate: (id: string) => Promise<void>,
    private readonly syncOnChange: boolean,
    private readonly now: () => number,
  ) {}

  static async open(options: ClientOptions): Promise<IronFlowClient> {
    const now = options.now ?? Date.now;
    const deviceStore = new RecordStore<DeviceState>(options.storage, "device");
    let state = await deviceStore.get("self");
    if (!state) {
      state = { deviceId: newDeviceId(), deviceName: options.deviceName, cursor: "0" };
      await deviceStore.put("self", state);
    }
    const deviceState = state;
    const repo = new Repo({
      storage: options.storage,
      network: [],
      peerId: `device-${deviceState.deviceId}` as PeerId,
      // Saved on the device before we say so: we flush explicitly; the debounce only batches.
      saveDebounceRate: 10,
    });
    const clock = new HybridLogicalClock(deviceState.deviceId, now);
    const entities = new EntityStore(repo, new RecordStore<EntityRecord>(options.storage, "entity"), clock, deviceState.deviceId, deviceState.deviceName, now);
    const queue = new SyncQueue(new RecordStore<SyncQueueItem>(options.storage, "queue"));
    await Promise.all([entities.load(), queue.load()]);

    let client: IronFlowClient | undefined;
    const lock = new Mutex();
    const board = new NoticeBoard(
      new RecordStore<Notice>(options.storage, "notice"),
      new RecordStore<DuplicateFlag>(options.storage, "duplicate"),
    );
    await board.load();
    const settler = new ConflictSettler(entities, queue, board, new BlobStore(options.storage, "conflict-doc"), now);
    const checkDuplicate = async (id: string) => {
      await board.checkDuplicate(entities.record(id)!, entities.allRecords(), now());
    };
    const engine = new SyncEngine({
      transport: options.transport,
      identity: { userId: options.userId, deviceId: deviceState.deviceId, deviceName: deviceState.deviceName },
      entities,
      queue,
      settler,
      lock,
      loadCursors: () => ({ user: BigInt(deviceState.cursor), catalog: BigInt(deviceState.catalogCursor ?? "0") }),
      saveCursors: async (cursors) => {
        deviceState.cursor = cursors.user.toString();
        deviceState.catalogCursor = cursors.catalog.toString();
        await deviceStore.put("self", deviceState);
      },
      onLibraryChange: async (id, change) => {
        const noticeId = `${id}:library:${now()}`;
        await board.addNotice({ id: noticeId, kind: "library_updated", entityId: id, entityType: "exercise_definition", lost: change, path: "payload", losingDeviceId: "relay", at: now() });
      },
      onAdopted: checkDuplicate,
      notify: () => client?.emit(),
      log: options.log ?? { event: () => undefined },
      now,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      maxBatchBytes: 512 * 1024,
    });
    client = new IronFlowClient(deviceState.deviceId, repo, entities, queue, engine, lock, settler, board, checkDuplicate, options.syncOnChange ?? true, now);
    return client;
  }

  /** Creates an entity; resolves with its id once it is saved on this device. */
  async create<T extends EntityType>(type: T, payload: Payloads[T]): Promise<string> {
    refuseReadOnly(type);
    const id = await this.lock.run(async () => {
      const { doc, record } = await this.entities.create(type, payload);
      await this.queue.recordLocalChange({
        entityType: type,
        entityId: doc.id,
        operation: "create",
        data: JSON.parse(JSON.stringify(doc)),
        timestamp: this.now(),
        version: record.serverVersion,
      });
      await this.checkDuplicate(doc.id);
      return doc.id;
    });
    this.afterLocalChange();
    return id;
  }

  /** Changes an entity's payload; resolves once saved on this device. Invalid results throw and change nothing. */
  async update<T extends EntityType>(id: string, mutate: (payload: Payloads[T]) => void): Promise<void> {
    await this.localChange(id, "update", (doc) => mutate(doc.payload as Payloads[T]));
  }

  /** Marks an entity deleted (a tombstone that syncs like any change). */
  async delete(id: string): Promise<void> {
    await this.localChange(id, "delete", (doc) => {
      doc.deleted = { at: this.now(), hlc: "", deviceId: this.deviceId }; // hlc: stamped with this change's
    });
  }

  async get<T extends EntityType = EntityType>(id: string): Promise<EntityDocument<T> | undefined> {
    if (!this.entities.record(id)) return undefined;
    return JSON.parse(JSON.stringify(await this.entities.doc(id))) as EntityDocument<T>;
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
    if (item.status === "error") return "needs_attention";
    return this.engine.online ? "syncing" : "saved_on_device";
  }

  queueItems(): SyncQueueItem[] {
    return this.queue.all();
  }

  conflicts(): SyncQueueItem[] {
    return this.queue.all().filter((item) => item.status === "conflict");
  }

  /** Keeps this device's version, the other device's, or Automerge's merge of both. */
  async resolveConflict(id: string, choice: ConflictChoice): Promise<void> {
    await this.lock.run(() => this.settler.choose(id, choice));
    this.afterLocalChange();
  }

  /** Resolved-without-asking outcomes the person should see: overwritten values, lost edits. */
  notices(): Notice[] {
    return this.board.allNotices();
  }

  async dismissNotice(id: string): Promise<void> {
    await this.board.dismissNotice(id);
    this.emit();
  }

  /** Brings back what a notice says was lost, as a new local change, and dismisses it. */
  async restoreFromNotice(id: string): Promise<void> {
    const notice = this.board.notice(id);
    if (!notice) throw new SyncError(Code.NOT_FOUND, `no notice ${id}`);
    if (notice.kind === "restored_by_edit" || notice.kind === "library_updated") {
      throw new SyncError(Code.FAILED_PRECONDITION, "nothing was lost; this notice only informs");
    }
    await this.localChange(notice.entityId, "update", (doc) => {
      doc.deleted = null;
      if (notice.path === "payload") {
        assignJson(doc.payload as unknown as Record<string, unknown>, notice.lost as Record<string, unknown>);
        return;
      }
      const day = notice.path.replace(/^days\./, "");
      const days = (doc.payload as { days: Record<string, unknown> }).days;
      if (notice.lost === null) delete days[day];
      else days[day] = structuredClone(notice.lost);
    });
    await this.dismissNotice(id);
  }

  /** Pairs of workouts logged for the same time, maybe one session on two devices. */
  duplicates(): DuplicateFlag[] {
    return this.board.allDuplicates();
  }

  /** Keeps both as they are, or deletes one, or merges the other's exercises into `keep` and deletes the other. */
  async resolveDuplicate(flagId: string, action: { kind: "keep_both" } | { kind: "delete" | "merge"; keep: string }): Promise<void> {
    const flag = this.board.duplicate(flagId);
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
    await this.board.dismissDuplicate(flagId);
    this.emit();
  }

  status(): SyncStatusSnapshot {
    const error = this.engine.error;
    return {
      online: this.engine.online,
      queueDepth: this.queue.depth,
      lastSyncAt: this.engine.lastSyncAt,
      lastError: error ? { code: Code[error.code] ?? String(error.code), message: error.message } : null,
      conflicts: this.conflicts().length,
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Pushes what is pending and pulls what other devices pushed. Rejects with a SyncError. */
  syncNow(): Promise<SyncReport> {
    if (this.closed) return Promise.reject(new SyncError(Code.FAILED_PRECONDITION, "client is closed"));
    return this.engine.syncNow();
  }

  /** Disconnects from the relay; local use goes on. */
  goOffline(): void {
    this.engine.disconnect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.engine.disconnect();
    await this.repo.flush();
    await this.repo.shutdown();
    this.listeners.clear();
  }

  private async localChange(id: string, operation: "update" | "delete", mutate: (doc: EntityDocument) => void): Promise<void> {
    const type = this.entities.record(id)?.type;
    if (type) refuseReadOnly(type);
    await this.lock.run(async () => {
      const { doc, record } = await this.entities.change(id, mutate);
      await this.queue.recordLocalChange({
        entityType: record.type,
        entityId: id,
        operation,
        data: JSON.parse(JSON.stringify(doc)),
        timestamp: this.now(),
        version: record.serverVersion,
      });
    });
    this.afterLocalChange();
  }

  private afterLocalChange(): void {
    this.emit();
    // A failed background sync becomes state (status().lastError, the item's lastError).
    if (this.syncOnChange && this.engine.online) void this.engine.syncNow().catch(() => undefined);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * A random (v4) UUID. Not crypto.randomUUID(): browsers expose it only in secure contexts, and a
 * phone opening the relay by its LAN address over plain http is not one (getRandomValues is).
 */
function newDeviceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Server-authoritative types are read-only on a device: refused here, and again at the relay. */
function refuseReadOnly(type: EntityType): void {
  if (!CONFLICT_STRATEGIES[type].deviceWritable) {
    throw new SyncError(Code.PERMISSION_DENIED, `${type} is managed by IronFlow; devices only read it`);
  }
}
