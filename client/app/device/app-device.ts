// What every screen uses: the device as the app sees it. One shape whichever tab this is: in the
// tab that holds the device store the calls go straight to its IronFlowClient (local-device.ts);
// in every other tab they travel to that tab over a BroadcastChannel (tabs/). So a call is
// asynchronous and its arguments and results are plain data; reads the screens need while
// rendering are synchronous, from the client or from the last snapshot the holding tab sent.
import type {
  AuthSession,
  ConflictChoice,
  DeviceInfo,
  DuplicateFlag,
  EntityDocument,
  EntityListItem,
  EntitySyncState,
  EntityType,
  IronFlowClient,
  LibraryNotice,
  Payloads,
  ResolutionEntry,
  SyncQueueItem,
  SyncReport,
  SyncStatusSnapshot,
} from "../../core/index.js";
import type { WorkoutEdit } from "./workout-edit.js";

export type ExportFile = Awaited<ReturnType<IronFlowClient["exportData"]>>;
export type ImportReport = Awaited<ReturnType<IronFlowClient["importData"]>>;
export type DuplicateAction = Parameters<IronFlowClient["resolveDuplicate"]>[1];

/** A LAN peer this device paired with, and its link as the "Nearby device" screen shows it. */
export interface NearbyPeer {
  peerId: string;
  name: string;
  lastAddress: string;
  connected: boolean;
  lastSyncAt: number | null;
  /** The link's last failure, in words (a cross-tab snapshot carries no error objects). */
  lastError: string | null;
  pulled: number;
  pushed: number;
}

/** Everything a screen reads while rendering; a tab that does not hold the store gets it as one snapshot. */
export interface DeviceSnapshot {
  /** Every entity's summary, deleted ones included, newest first. */
  entities: EntityListItem[];
  status: SyncStatusSnapshot;
  /** Queue items not yet synced. */
  queue: SyncQueueItem[];
  resolutions: ResolutionEntry[];
  libraryNotices: LibraryNotice[];
  duplicates: DuplicateFlag[];
  account: AccountState;
  peers: NearbyPeer[];
}

/** Whether this device holds a session: signed out (by the person, or the relay ended it), it syncs nothing. */
export interface AccountState {
  signedIn: boolean;
}

export interface DeviceReads {
  list(type?: EntityType, options?: { includeDeleted?: boolean }): EntityListItem[];
  syncState(id: string): EntitySyncState;
  status(): SyncStatusSnapshot;
  /** Items not yet synced (pending, conflict, error). */
  queueItems(): SyncQueueItem[];
  resolutions(): ResolutionEntry[];
  libraryNotices(): LibraryNotice[];
  duplicates(): DuplicateFlag[];
  account(): AccountState;
  nearbyPeers(): NearbyPeer[];
}

/** Calls that cross tabs: plain data in, plain data out. */
export interface DeviceCalls {
  read<T extends EntityType = EntityType>(id: string): Promise<{ doc: EntityDocument<T>; heads: string[] } | undefined>;
  create<T extends EntityType>(type: T, payload: Payloads[T]): Promise<string>;
  /** With `basedOn` (the heads the screen showed), only what the person changed is written. */
  editWorkout(id: string, edit: WorkoutEdit, basedOn?: string[]): Promise<void>;
  /** Sets some fields of an entity's payload (a profile's settings); the rest stay as they are. */
  updateEntity<T extends EntityType>(id: string, type: T, patch: Partial<Payloads[T]>): Promise<void>;
  /** "Finish workout": records `at` as its completion and syncs right away when online. */
  completeWorkout(id: string, at: number): Promise<void>;
  /** With `basedOn` (the heads the screen showed), what arrived meanwhile is kept in a resolution record. */
  delete(id: string, basedOn?: string[]): Promise<void>;
  /** `seenServerVersion`: the other device's version the screen showed; refused when it moved on. */
  resolveConflict(id: string, choice: ConflictChoice, seenServerVersion: number): Promise<void>;
  restoreResolution(resolutionId: string): Promise<void>;
  markResolutionsSeen(ids?: string[]): Promise<void>;
  dismissLibraryNotice(id: string): Promise<void>;
  resolveDuplicate(flagId: string, action: DuplicateAction): Promise<void>;
  retryItem(id: string): Promise<void>;
  discardLocalChanges(id: string): Promise<void>;
  /** Ends the session here and at the relay; every unsynced change stays on the device. */
  signOut(): Promise<void>;
  /** Signs in again as the same person on this device: what waited syncs. */
  signedIn(session: AuthSession): Promise<void>;
  /** The person's devices, as the relay knows them. */
  devices(): Promise<DeviceInfo[]>;
  /** Another device of the person's loses its session at once and can no longer sync. */
  revokeDevice(deviceId: string): Promise<void>;
  exportData(): Promise<ExportFile>;
  importData(file: unknown): Promise<ImportReport>;
  /** Pairs with a LAN peer from its invite text, remembers it and links (rejects with the pairing's refusal). */
  pairPeer(invite: string): Promise<void>;
  /** Unlinks and forgets a LAN peer. */
  forgetPeer(peerId: string): Promise<void>;
  /** The person's "Sync now": refused items are tried again too (they may pass now), then a sync. */
  syncNow(): Promise<SyncReport>;
  /** Whether a tab of the app is in front (the holding tab syncs on its schedule while one is). */
  setActive(tab: string, active: boolean): Promise<void>;
}

/** Which part this tab plays: it holds the store and syncs, or it uses the tab that does. */
export type TabRole = "leader" | "follower";

export interface AppDevice extends DeviceReads, DeviceCalls {
  readonly role: TabRole;
  subscribe(listener: () => void): () => void;
}

/** One cross-tab call as data. */
export type DeviceCall = { [K in keyof DeviceCalls]: { method: K; args: Parameters<DeviceCalls[K]> } }[keyof DeviceCalls];

export function perform(calls: DeviceCalls, call: DeviceCall): Promise<unknown> {
  // Every DeviceCalls member is a method of `calls`; `apply` keeps `this` bound to it.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const method = calls[call.method] as (this: DeviceCalls, ...args: unknown[]) => Promise<unknown>;
  return method.apply(calls, call.args);
}

/** Reads over a snapshot: what a tab that does not hold the store renders from. */
export function readsOf(snapshot: DeviceSnapshot): DeviceReads {
  return {
    list: (type, options = {}) => snapshot.entities.filter((e) => (!type || e.type === type) && (options.includeDeleted || !e.deleted)),
    syncState: (id) => snapshot.entities.find((e) => e.id === id)?.syncState ?? "synced",
    status: () => snapshot.status,
    queueItems: () => snapshot.queue,
    resolutions: () => snapshot.resolutions,
    libraryNotices: () => snapshot.libraryNotices,
    duplicates: () => snapshot.duplicates,
    account: () => snapshot.account,
    nearbyPeers: () => snapshot.peers,
  };
}

export function snapshotOf(reads: DeviceReads): DeviceSnapshot {
  return {
    entities: reads.list(undefined, { includeDeleted: true }),
    status: reads.status(),
    queue: reads.queueItems(),
    resolutions: reads.resolutions(),
    libraryNotices: reads.libraryNotices(),
    duplicates: reads.duplicates(),
    account: reads.account(),
    peers: reads.nearbyPeers(),
  };
}
