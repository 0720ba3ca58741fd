// What the device keeps about itself: its id and name, how far it has pulled, when it last
// synced, and how far its clock is from the relay's. One record in the device's storage.
// Specification: docs/device-storage.md
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import type { PullCursors } from "./sync/pull.js";
import { RecordStore } from "./storage/record-store.js";

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

/** How stale the stored last-sync time may get before a sync writes it. */
const SYNC_TIME_WRITE_MS = 60_000;

export class DeviceStateStore {
  /** The last sync time in storage (state.lastSyncAt is the latest, in memory). */
  private storedSyncAt: number | null;

  private constructor(
    private readonly store: RecordStore<DeviceState>,
    readonly state: DeviceState,
  ) {
    this.storedSyncAt = state.lastSyncAt ?? null;
  }

  /**
   * The device's state, made on first open. The device id is the one the relay registered
   * (`deviceId`); a store that had another (a revoked device signing in again) takes the new one
   * for its changes from now on.
   */
  static async open(storage: StorageAdapterInterface, deviceName: string, deviceId?: string): Promise<DeviceStateStore> {
    const store = new RecordStore<DeviceState>(storage, "device");
    const state = (await store.get("self")) ?? { deviceId: deviceId ?? newDeviceId(), deviceName, cursor: "0" };
    if (deviceId !== undefined) state.deviceId = deviceId;
    if (state.deviceName === "") state.deviceName = deviceName;
    await store.put("self", state);
    return new DeviceStateStore(store, state);
  }

  /** The id this store's device goes by, made and kept on first use (before any sign-in). */
  static async deviceIdOf(storage: StorageAdapterInterface): Promise<string> {
    const store = new RecordStore<DeviceState>(storage, "device");
    const state = await store.get("self");
    if (state) return state.deviceId;
    const deviceId = newDeviceId();
    await store.put("self", { deviceId, deviceName: "", cursor: "0" });
    return deviceId;
  }

  get clockOffsetMs(): number {
    return this.state.clockOffsetMs ?? 0;
  }

  /** Whether this device already had the exercise library (then changes to it are news). */
  get hasLibrary(): boolean {
    return BigInt(this.state.catalogCursor ?? "0") > 0n;
  }

  cursors(): PullCursors {
    return { user: BigInt(this.state.cursor), catalog: BigInt(this.state.catalogCursor ?? "0") };
  }

  saveCursors(cursors: PullCursors): Promise<void> {
    this.state.cursor = cursors.user.toString();
    this.state.catalogCursor = cursors.catalog.toString();
    return this.save();
  }

  /**
   * Every sync updates the time in memory; storage takes it when what it holds is a minute old.
   * A sync after every edit wrote this record on every edit (one of the eight writes an edit
   * reaching another device made); after a reopen the time shown may be up to a minute early.
   */
  recordSync(at: number): Promise<void> {
    this.state.lastSyncAt = at;
    if (this.storedSyncAt !== null && at >= this.storedSyncAt && at - this.storedSyncAt < SYNC_TIME_WRITE_MS) return Promise.resolve();
    return this.save();
  }

  recordRelayTime(serverTime: number, localTime: number): Promise<void> {
    this.state.clockOffsetMs = serverTime - localTime;
    return this.save();
  }

  /** Writes what memory holds that storage does not yet (the latest sync time). */
  async flush(): Promise<void> {
    if ((this.state.lastSyncAt ?? null) !== this.storedSyncAt) await this.save();
  }

  private async save(): Promise<void> {
    const syncedAt = this.state.lastSyncAt ?? null;
    await this.store.put("self", this.state);
    this.storedSyncAt = syncedAt;
  }
}

/**
 * A random (v4) UUID. Not crypto.randomUUID(): browsers expose it only in secure contexts, and a
 * phone opening the relay by its LAN address over plain http is not one (getRandomValues is).
 */
function newDeviceId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes.set([((bytes[6] ?? 0) & 0x0f) | 0x40], 6);
  bytes.set([((bytes[8] ?? 0) & 0x3f) | 0x80], 8);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
