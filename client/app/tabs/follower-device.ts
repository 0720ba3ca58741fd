// The device in a tab that does not hold the store: reads come from the leader's last snapshot,
// calls travel to the leader and come back as replies addressed to this tab.
import type { SyncStatusSnapshot } from "../../core/index.js";
import { readsOf, type DeviceCall, type DeviceReads, type DeviceSnapshot } from "../device/app-device.js";
import { fromWire, type TabChannel } from "./tab-channel.js";

/** The call's tab went away before answering; whether it ran is unknown. */
export class LeaderGone extends Error {
  override readonly name = "LeaderGone";
  constructor() {
    super("Not saved: the tab that keeps your data closed before it answered. Try again.");
  }
}

const OFFLINE: SyncStatusSnapshot = {
  online: false,
  queueDepth: 0,
  lastSyncAt: null,
  lastError: null,
  conflicts: 0,
  waitingForManualSync: 0,
  progress: null,
  settled: [],
};

export const EMPTY_SNAPSHOT: DeviceSnapshot = { entities: [], status: OFFLINE, queue: [], resolutions: [], libraryNotices: [], duplicates: [], account: { signedIn: true }, peers: [] };

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class FollowerDevice implements DeviceReads {
  private snapshot: DeviceSnapshot | undefined;
  private reads: DeviceReads = readsOf(EMPTY_SNAPSHOT);
  private readonly pending = new Map<number, Pending>();
  private nextCallId = 1;
  private readonly listeners = new Set<() => void>();
  private readonly offs: (() => void)[] = [];
  private leader: string | undefined;
  private firstSnapshot: (() => void) | undefined;
  private closed = false;
  /** Resolves once the leader has sent what the screens show. */
  readonly ready: Promise<void>;

  constructor(
    private readonly channel: TabChannel,
    private readonly isActive: () => boolean,
  ) {
    this.ready = new Promise((resolve) => {
      this.firstSnapshot = resolve;
    });
    this.offs.push(
      channel.on("snapshot", (m) => {
        if (this.leader !== undefined && m.leader !== this.leader) return; // a stale leader, thawed
        this.leader = m.leader;
        this.snapshot = m.snapshot;
        this.reads = readsOf(m.snapshot);
        this.firstSnapshot?.();
        this.emit();
      }),
      channel.on("reply", (m) => {
        if (m.to !== channel.tabId) return;
        const pending = this.pending.get(m.callId);
        if (!pending) return;
        this.pending.delete(m.callId);
        if (m.result.ok) pending.resolve(m.result.value);
        else pending.reject(fromWire(m.result.error));
      }),
      // The hello said while the leader was still opening the store was not heard, whether or not
      // this tab knew which leader it was: said again, the leader sends snapshots from now on.
      channel.on("serving", (m) => {
        if (this.leader !== undefined && m.leader !== this.leader) return; // a stale leader, thawed
        this.hello();
      }),
      channel.on("leading", (m) => {
        if (m.leader === channel.tabId) return;
        // A new leader never saw the calls sent to the old one: they fail, and the tab retries
        // those that are safe to run twice (tab-device.ts).
        this.leader = m.leader;
        this.failPending();
        this.hello();
      }),
    );
    this.hello();
  }

  get hasSnapshot(): boolean {
    return this.snapshot !== undefined;
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs) off();
    this.failPending();
    this.listeners.clear();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list: DeviceReads["list"] = (type, options) => this.reads.list(type, options);
  syncState: DeviceReads["syncState"] = (id) => this.reads.syncState(id);
  status: DeviceReads["status"] = () => this.reads.status();
  queueItems: DeviceReads["queueItems"] = () => this.reads.queueItems();
  resolutions: DeviceReads["resolutions"] = () => this.reads.resolutions();
  libraryNotices: DeviceReads["libraryNotices"] = () => this.reads.libraryNotices();
  duplicates: DeviceReads["duplicates"] = () => this.reads.duplicates();
  account: DeviceReads["account"] = () => this.reads.account();
  nearbyPeers: DeviceReads["nearbyPeers"] = () => this.reads.nearbyPeers();

  /** Sends one call to the leader; settles with its reply. */
  call(call: DeviceCall): Promise<unknown> {
    if (this.closed) return Promise.reject(new LeaderGone());
    const callId = this.nextCallId++;
    return new Promise((resolve, reject) => {
      this.pending.set(callId, { resolve, reject });
      this.channel.post({ kind: "call", from: this.channel.tabId, callId, call });
    });
  }

  private hello(): void {
    this.channel.post({ kind: "hello", from: this.channel.tabId, active: this.isActive() });
  }

  private failPending(): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new LeaderGone());
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
