// Wires the parts of one device together from its storage and transport. The public client
// (client.ts) holds the result and exposes the app-facing API.
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import { Code, SyncError } from "../../schema/status.js";
import { HybridLogicalClock } from "./clock/hlc.js";
import { relayCorrectedClock } from "./clock/relay-clock.js";
import { NoticeBoard } from "./conflicts/notice-board.js";
import type { DuplicateFlag, LibraryNotice } from "./conflicts/notices.js";
import { ConflictSettler } from "./conflicts/settle.js";
import type { EntityRecord } from "./entities/entity-record.js";
import { EntityStore } from "./entities/entity-store.js";
import type { SyncQueueItem } from "./queue/queue-item.js";
import { SyncQueue } from "./queue/sync-queue.js";
import { DocumentStore } from "./storage/document-store.js";
import { BlobStore, RecordStore } from "./storage/record-store.js";
import { Mutex } from "./sync/mutex.js";
import { RemoteChanges } from "./sync/remote-changes.js";
import { SyncEngine, type SyncLogger } from "./sync/sync-engine.js";
import { SyncScheduler, systemTimers, type SchedulerTimers } from "./sync/sync-scheduler.js";
import type { Transport } from "./transport/transport.js";

export interface DeviceOptions {
  /** Where everything the device keeps lives (IndexedDB, files, or an encrypting wrapper). */
  storage: StorageAdapterInterface;
  transport: Transport;
  /** Until accounts exist, the device names its user; the relay decides in one place. */
  userId: string;
  deviceName: string;
  /** Clock, timers and randomness; tests drive them (fake timers). */
  timers?: SchedulerTimers;
  /** The device's wall clock alone (a device whose clock is off), if not given with timers. */
  now?: () => number;
  log?: SyncLogger;
  requestTimeoutMs?: number;
  maxBatchItems?: number;
  maxBatchBytes?: number;
  /** How often to sync while the app is active (default 5 minutes). */
  syncIntervalMs?: number;
  /** Automerge documents kept in memory when idle (default 64). */
  documentCacheSize?: number;
}

/** What the device keeps about itself. */
export interface DeviceState {
  deviceId: string;
  deviceName: string;
  /** The relay cursors this device has pulled up to (bigints as strings). */
  cursor: string;
  catalogCursor?: string;
  lastSyncAt?: number | null;
  /** The relay's clock minus this device's, as measured at the last handshake. */
  clockOffsetMs?: number;
}

export interface DeviceParts {
  state: DeviceState;
  entities: EntityStore;
  queue: SyncQueue;
  engine: SyncEngine;
  scheduler: SyncScheduler;
  lock: Mutex;
  settler: ConflictSettler;
  board: NoticeBoard;
  timers: SchedulerTimers;
  /** The device's clock corrected to the relay's: what stamps and records use. */
  now(): number;
  checkDuplicate(id: string): Promise<void>;
}

export async function openDeviceParts(options: DeviceOptions, notify: () => void): Promise<DeviceParts> {
  const base = options.timers ?? systemTimers;
  const timers: SchedulerTimers = options.now ? { ...base, now: options.now } : base;
  const deviceStore = new RecordStore<DeviceState>(options.storage, "device");
  const state: DeviceState = (await deviceStore.get("self")) ?? { deviceId: newDeviceId(), deviceName: options.deviceName, cursor: "0" };
  await deviceStore.put("self", state);
  const saveState = () => deviceStore.put("self", state);
  const now = relayCorrectedClock(() => timers.now(), () => state.clockOffsetMs ?? 0);

  const clock = new HybridLogicalClock(state.deviceId, now);
  const documents = new DocumentStore(options.storage, options.documentCacheSize ?? 64);
  const entities = new EntityStore(documents, new RecordStore<EntityRecord>(options.storage, "entity"), clock, { id: state.deviceId, name: state.deviceName }, now);
  const queue = new SyncQueue(new RecordStore<SyncQueueItem>(options.storage, "queue"));
  const board = new NoticeBoard(
    new RecordStore<LibraryNotice>(options.storage, "notice"),
    new RecordStore<DuplicateFlag>(options.storage, "duplicate"),
    new RecordStore<{ id: string }>(options.storage, "seen"),
  );
  await Promise.all([entities.load(), queue.load(), board.load()]);
  await recoverInterruptedWrites(entities, queue);

  const lock = new Mutex();
  const conflictDocs = new BlobStore(options.storage, "conflict-doc");
  const settler = new ConflictSettler(entities, queue, conflictDocs, now);
  const checkDuplicate = async (id: string) => {
    if (await board.checkDuplicate(entities.record(id)!, entities.allRecords(), now())) notify();
  };
  let engine: SyncEngine | undefined;
  const remote = new RemoteChanges({
    entities,
    queue,
    settler,
    conflictDocs,
    hasLibrary: () => BigInt(state.catalogCursor ?? "0") > 0n,
    onAdopted: checkDuplicate,
    onLibraryChange: (id, change) =>
      board.addLibraryNotice({ id: `${id}:library:${now()}`, kind: "library_updated", entityId: id, entityType: "exercise_definition", change, at: now() }),
    onNewWork: () => engine?.queueNewWork(),
  });
  let scheduler: SyncScheduler | undefined;
  engine = new SyncEngine({
    transport: options.transport,
    identity: { userId: options.userId, deviceId: state.deviceId, deviceName: state.deviceName },
    entities,
    queue,
    remote,
    lock,
    loadCursors: () => ({ user: BigInt(state.cursor), catalog: BigInt(state.catalogCursor ?? "0") }),
    saveCursors: async (cursors) => {
      state.cursor = cursors.user.toString();
      state.catalogCursor = cursors.catalog.toString();
      await saveState();
    },
    onSynced: async (at) => {
      state.lastSyncAt = at;
      await saveState();
    },
    onRelayTime: async (serverTime, localTime) => {
      state.clockOffsetMs = serverTime - localTime;
      await saveState();
    },
    onConnectionLost: () => scheduler?.connectionLost(),
    notify,
    log: options.log ?? { event: () => undefined },
    now: () => timers.now(),
    random: timers.random,
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    maxBatchItems: options.maxBatchItems ?? 100,
    maxBatchBytes: options.maxBatchBytes ?? 512 * 1024,
  });
  engine.lastSyncAt = state.lastSyncAt ?? null;
  scheduler = new SyncScheduler({
    run: (trigger) => engine.syncNow(trigger),
    nextRetryAt: () => queue.nextRetryAt(),
    isUnreachable: (err) => err instanceof SyncError && err.code === Code.UNAVAILABLE,
    timers,
    intervalMs: options.syncIntervalMs,
  });
  return { state, entities, queue, engine, scheduler, lock, settler, board, timers, now, checkDuplicate };
}

/**
 * A device killed in the middle of a local change may have queued it (the queue item is written
 * first) without its document or record: a create whose document never reached storage is
 * dropped (it was never reported saved), one whose record is missing gets it back, and every
 * record of an unsynced entity is brought up to date with its document.
 */
async function recoverInterruptedWrites(entities: EntityStore, queue: SyncQueue): Promise<void> {
  for (const item of queue.all()) {
    if (item.status === "synced") continue;
    if (!entities.record(item.entityId)) {
      if (!(await entities.exists(item.entityId))) {
        await queue.remove(item.entityId);
        continue;
      }
      await entities.putRecord({
        id: item.entityId,
        type: item.entityType,
        summary: { type: item.entityType, id: item.entityId, date: 0, title: "", deleted: false },
        serverVersion: item.version,
        syncedHeads: [],
        serverTime: null,
      });
    }
    await entities.refreshRecord(item.entityId, await entities.json(item.entityId));
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
