// Wires the parts of one device together from its storage and transport. The public client
// (client.ts) holds the result and exposes the app-facing API.
import { Repo, type PeerId, type StorageAdapterInterface } from "@automerge/automerge-repo";
import { Code } from "../../schema/status.js";
import { HybridLogicalClock } from "./clock/hlc.js";
import { NoticeBoard } from "./conflicts/notice-board.js";
import type { DuplicateFlag, Notice } from "./conflicts/records.js";
import { ConflictSettler } from "./conflicts/settle.js";
import { EntityStore } from "./entities/entity-store.js";
import { BlobStore, RecordStore } from "./storage/records.js";
import { Mutex } from "./sync/mutex.js";
import type { EntityRecord, SyncQueueItem } from "./sync/records.js";
import { RemoteChanges } from "./sync/remote-changes.js";
import { SyncEngine, type SyncLogger } from "./sync/sync-engine.js";
import { SyncQueue } from "./sync/sync-queue.js";
import { SyncScheduler, systemTimers, type SchedulerTimers } from "./sync/sync-scheduler.js";
import type { Transport } from "./transport/transport.js";
import { SyncError } from "../../schema/status.js";

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
}

/** What the device keeps about itself. */
export interface DeviceState {
  deviceId: string;
  deviceName: string;
  /** The relay cursors this device has pulled up to (bigints as strings). */
  cursor: string;
  catalogCursor?: string;
  lastSyncAt?: number | null;
}

export interface DeviceParts {
  state: DeviceState;
  repo: Repo;
  entities: EntityStore;
  queue: SyncQueue;
  engine: SyncEngine;
  scheduler: SyncScheduler;
  lock: Mutex;
  settler: ConflictSettler;
  board: NoticeBoard;
  timers: SchedulerTimers;
  checkDuplicate(id: string): Promise<void>;
}

export async function openDeviceParts(options: DeviceOptions, notify: () => void): Promise<DeviceParts> {
  const base = options.timers ?? systemTimers;
  const timers: SchedulerTimers = options.now ? { ...base, now: options.now } : base;
  const now = () => timers.now();
  const deviceStore = new RecordStore<DeviceState>(options.storage, "device");
  const state: DeviceState = (await deviceStore.get("self")) ?? { deviceId: newDeviceId(), deviceName: options.deviceName, cursor: "0" };
  await deviceStore.put("self", state);
  const saveState = () => deviceStore.put("self", state);

  const repo = new Repo({
    storage: options.storage,
    network: [],
    peerId: `device-${state.deviceId}` as PeerId,
    // "Saved on this device" is said after an explicit flush; the debounce only batches.
    saveDebounceRate: 10,
  });
  const clock = new HybridLogicalClock(state.deviceId, now);
  const entities = new EntityStore(repo, new RecordStore<EntityRecord>(options.storage, "entity"), clock, state.deviceId, state.deviceName, now);
  const queue = new SyncQueue(new RecordStore<SyncQueueItem>(options.storage, "queue"));
  const board = new NoticeBoard(new RecordStore<Notice>(options.storage, "notice"), new RecordStore<DuplicateFlag>(options.storage, "duplicate"));
  await Promise.all([entities.load(), queue.load(), board.load()]);

  const lock = new Mutex();
  const settler = new ConflictSettler(entities, queue, board, new BlobStore(options.storage, "conflict-doc"), now);
  const checkDuplicate = async (id: string) => {
    if (await board.checkDuplicate(entities.record(id)!, entities.allRecords(), now())) notify();
  };
  const remote = new RemoteChanges({
    entities,
    queue,
    settler,
    lock,
    hasLibrary: () => BigInt(state.catalogCursor ?? "0") > 0n,
    onAdopted: checkDuplicate,
    onLibraryChange: (id, change) =>
      board.addNotice({ id: `${id}:library:${now()}`, kind: "library_updated", entityId: id, entityType: "exercise_definition", lost: change, path: "payload", losingDeviceId: "relay", at: now() }),
  });
  let scheduler: SyncScheduler | undefined;
  const engine = new SyncEngine({
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
    onConnectionLost: () => scheduler?.connectionLost(),
    notify,
    log: options.log ?? { event: () => undefined },
    now,
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
  return { state, repo, entities, queue, engine, scheduler, lock, settler, board, timers, checkDuplicate };
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
