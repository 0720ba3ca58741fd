// One device, wired from its storage and transport: which part talks to which. Behaviour lives in
// the parts; the public client (client.ts) holds the result and exposes the app-facing API.
// Specification: docs/device-storage.md
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import type { AuthSession } from "../../schema/accounts.js";
import type { AuthApi } from "./auth/auth-api.js";
import { Credentials, type StoredSession } from "./auth/credentials.js";
import { SchemaTooNew } from "../../schema/document-version.js";
import { Code, SyncError } from "../../schema/status.js";
import { HybridLogicalClock } from "./clock/hlc.js";
import { relayCorrectedClock } from "./clock/relay-clock.js";
import { systemTimers, type Timers } from "./clock/timers.js";
import { Duplicates } from "./conflicts/duplicates.js";
import { NoticeBoard } from "./conflicts/notice-board.js";
import type { DuplicateFlag, LibraryNotice } from "./conflicts/notices.js";
import { ResolutionLog } from "./conflicts/resolution-log.js";
import { ConflictSettler } from "./conflicts/settle.js";
import { ResolutionTally } from "./conflicts/resolution-tally.js";
import { DeviceStateStore } from "./device-state.js";
import type { EntityRecord } from "./entities/entity-record.js";
import { EntityStore } from "./entities/entity-store.js";
import { DataTransfer } from "./queue/export-import.js";
import { LocalChanges } from "./queue/local-changes.js";
import type { SyncQueueItem } from "./queue/queue-item.js";
import { SyncQueue } from "./queue/sync-queue.js";
import { DocumentStore } from "./storage/document-store.js";
import { BlobStore, RecordStore, type UnreadableRecord } from "./storage/record-store.js";
import { Mutex } from "./storage/write-lock.js";
import { RemoteChanges } from "./sync/remote-changes.js";
import { SyncEngine, type SyncLogger } from "./sync/sync-engine.js";
import { SyncScheduler } from "./sync/sync-scheduler.js";
import type { Transport } from "./transport/transport.js";

export interface DeviceOptions {
  /** Where everything the device keeps lives (IndexedDB, files, or an encrypting wrapper). */
  storage: StorageAdapterInterface;
  transport: Transport;
  /**
   * The relay's accounts, and the session a sign-up or sign-in just gave (none: the one this
   * store kept). The user and the device are the session's.
   */
  auth: { api: AuthApi; session?: AuthSession };
  deviceName: string;
  /** Clock, timers and randomness; tests drive them (fake timers). */
  timers?: Timers;
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
  /** Records per page and loose records before a pack (docs/device-storage.md); tests make both small. */
  recordPages?: { pageRecords?: number; packAfter?: number };
}

export interface Device {
  state: DeviceStateStore;
  credentials: Credentials;
  api: AuthApi;
  entities: EntityStore;
  queue: SyncQueue;
  changes: LocalChanges;
  engine: SyncEngine;
  scheduler: SyncScheduler;
  lock: Mutex;
  settler: ConflictSettler;
  /** How this device settled conflicts, by kind (Sync health, and the relay's metrics). */
  tally: ResolutionTally;
  resolutions: ResolutionLog;
  duplicates: Duplicates;
  transfer: DataTransfer;
  board: NoticeBoard;
  /** The device's clock corrected to the relay's: what stamps and records use. */
  now(): number;
  /** What a LAN peer link (client/core/peer) is opened with. */
  storage: StorageAdapterInterface;
  timers: Timers;
  log: SyncLogger;
  requestTimeoutMs: number;
  /** Resolves once the records the device moved into pages as it opened are there (device-storage.md). */
  recordsSettled(): Promise<void>;
}

export async function openDevice(options: DeviceOptions, notify: () => void): Promise<Device> {
  const timers: Timers = options.now ? { ...(options.timers ?? systemTimers), now: options.now } : (options.timers ?? systemTimers);
  const credentials = await Credentials.open(new RecordStore<StoredSession>(options.storage, "session"), options.auth.api, timers, options.auth.session, notify);
  const state = await DeviceStateStore.open(options.storage, options.deviceName, credentials.deviceId);
  const { deviceId, deviceName } = state.state;
  const now = relayCorrectedClock(() => timers.now(), () => state.clockOffsetMs);

  const entityRecords = new RecordStore<EntityRecord>(options.storage, "entity", { pack: true, ...options.recordPages });
  const queueItems = new RecordStore<SyncQueueItem>(options.storage, "queue", { pack: true, ...options.recordPages });
  const entities = new EntityStore(
    new DocumentStore(options.storage, options.documentCacheSize ?? 64),
    entityRecords,
    new HybridLogicalClock(deviceId, now),
    { id: deviceId, name: deviceName },
    now,
  );
  const queue = new SyncQueue(queueItems);
  const board = new NoticeBoard(
    new RecordStore<LibraryNotice>(options.storage, "notice"),
    new RecordStore<DuplicateFlag>(options.storage, "duplicate"),
    new RecordStore<{ id: string }>(options.storage, "seen"),
  );
  const unreadable = (await Promise.all([entities.load(), queue.load(), board.load()])).flat();
  await recoverInterruptedWrites(entities, queue);
  const log = options.log ?? { event: () => undefined };
  await recoverUnreadableRecords(entities, queue, unreadable, now, (damaged, recovered) =>
    log.event("storage_unreadable", { device_id: deviceId, kind: damaged.kind, id: damaged.id, reason: damaged.reason, recovered }),
  );

  const lock = new Mutex();
  const changes = new LocalChanges(entities, queue, lock, now);
  const conflictDocs = new BlobStore(options.storage, "conflict-doc");
  const tally = new ResolutionTally();
  const settler = new ConflictSettler(entities, queue, conflictDocs, tally, now);
  const duplicates = new Duplicates(board, entities, changes, now);
  const remote = new RemoteChanges({
    entities,
    queue,
    settler,
    conflictDocs,
    tally,
    hasLibrary: () => state.hasLibrary,
    now,
    onAdopted: async (id) => {
      if (await duplicates.check(id)) notify();
    },
    onLibraryChange: (id, change) => board.addLibraryChange(id, change, now()),
    // The engine is made below; this runs only once it exists.
    onNewWork: () => engine.queueNewWork(),
  });
  const requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
  const engine = new SyncEngine({
    transport: options.transport,
    // The relay's name for this device comes from the session: signing in again after this device
    // was signed out from another one gives it a new id there (a revoked id never comes back),
    // while the device keeps its own id for its clock and its documents.
    identity: {
      get userId() {
        return credentials.userId;
      },
      get deviceId() {
        return credentials.deviceId;
      },
      deviceName,
    },
    credentials,
    entities,
    queue,
    remote,
    lock,
    timers,
    loadCursors: () => state.cursors(),
    saveCursors: (cursors) => state.saveCursors(cursors),
    onSynced: (at) => state.recordSync(at),
    onRelayTime: (serverTime, localTime) => state.recordRelayTime(serverTime, localTime),
    onConnectionLost: (cause) => scheduler.connectionLost(cause),
    notify,
    log,
    requestTimeoutMs,
    batch: { items: options.maxBatchItems ?? 100, bytes: options.maxBatchBytes ?? 512 * 1024 },
    tally,
  });
  engine.lastSyncAt = state.state.lastSyncAt ?? null;
  const scheduler = new SyncScheduler({
    run: (trigger) => engine.syncNow(trigger),
    nextRetryAt: () => queue.nextRetryAt(),
    isUnreachable: (err) => err instanceof SyncError && err.code === Code.UNAVAILABLE,
    timers,
    intervalMs: options.syncIntervalMs,
  });
  const resolutions = new ResolutionLog(entities, board, changes, now);
  const transfer = new DataTransfer(entities, queue, lock, now);
  return { state, credentials, api: options.auth.api, entities, queue, changes, engine, scheduler, lock, settler, tally, resolutions, duplicates, transfer, board, now, storage: options.storage, timers, log, requestTimeoutMs, recordsSettled: async () => {
      await Promise.all([entityRecords.settled(), queueItems.settled()]);
    } };
}

/**
 * A device killed in the middle of a local change may have queued it (the queue item is written
 * first) without its document or record: a create whose document never reached storage is
 * dropped (it was never reported saved), one whose record is missing gets it back, every
 * record of an unsynced entity is brought up to date with its document, and changes an item
 * kept for a write that did not land are dropped. An item whose record was written after its
 * document reached the heads the item announced landed whole, and its document is not loaded:
 * a phone with 10,000 workouts waiting to sync opened in over a minute when each was checked.
 */
async function recoverInterruptedWrites(entities: EntityStore, queue: SyncQueue): Promise<void> {
  for (const item of queue.all()) {
    if (item.status === "synced") continue;
    const stored = entities.record(item.entityId)?.storedHeads;
    if (stored && item.heads && sameHeads(stored, item.heads)) continue;
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
    try {
      await entities.refreshRecord(item.entityId, await entities.json(item.entityId));
    } catch (err) {
      // Written by a newer version of the app (an older build's queue left it): kept as it is.
      if (!(err instanceof SchemaTooNew)) throw err;
    }
    // The item is written before the document: changes it kept for a write that never landed are
    // not in the document, and must not be pushed.
    const kept = item.unsynced;
    if (kept && !sameHeads(await entities.heads(item.entityId), kept.heads)) await queue.forgetUnsynced(item.entityId);
  }
}

/**
 * A stored record that does not read (a damaged value) neither keeps the device from opening nor
 * loses what it described: an entity's record is made again from its document, and the entity
 * queued to push on whatever version the relay holds (a device holding the relay's version pushes
 * on it: reconcile.ts); a lost queue item's entity is queued again, its changes computed from
 * the document. A notice, duplicate flag or seen mark is left out. `report` hears of each, and
 * whether what it held was recovered.
 */
async function recoverUnreadableRecords(
  entities: EntityStore,
  queue: SyncQueue,
  unreadable: UnreadableRecord[],
  now: () => number,
  report: (damaged: UnreadableRecord, recovered: boolean) => void,
): Promise<void> {
  for (const damaged of unreadable) {
    let recovered = false;
    // A page whose list of records is damaged too names none: nothing to recover it by.
    if (damaged.id && (damaged.kind === "entity" || damaged.kind === "queue")) {
      // A queued entity's missing record was made again above (recoverInterruptedWrites).
      recovered = entities.record(damaged.id) !== undefined || (damaged.kind === "entity" && (await entities.rebuildRecord(damaged.id)));
      const record = entities.record(damaged.id);
      if (record && (damaged.kind === "queue" || !queue.get(damaged.id))) await queue.markPending(damaged.id, record.type, record.serverVersion, now());
    }
    report(damaged, recovered);
  }
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}
