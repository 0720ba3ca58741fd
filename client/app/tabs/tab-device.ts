// The device as this tab's screens see it, whichever part the tab plays. The leader tab opens
// the IronFlowClient and serves the others (leader-hub.ts); the others use it through the channel
// (follower-device.ts). When the part changes (the leader closed or froze and this tab took
// over, or this tab was found silent and another took over), the screens keep this one object:
// nothing they hold, such as a half-typed set, is thrown away.
import type { IronFlowClient } from "../../core/index.js";
import type { AppDevice, DeviceCall, DeviceCalls, DeviceReads, TabRole } from "../device/app-device.js";
import { perform, readsOf } from "../device/app-device.js";
import { LocalDevice } from "../device/local-device.js";
import { EMPTY_SNAPSHOT, FollowerDevice, LeaderGone } from "./follower-device.js";
import { LeaderHub } from "./leader-hub.js";
import { TabLeadership } from "./leadership.js";
import { TabChannel } from "./tab-channel.js";

type Backend = { kind: "leader"; device: LocalDevice; hub: LeaderHub | undefined } | { kind: "follower"; device: FollowerDevice };

/** Calls that may run twice without harm: sent again to the next leader if the first one went. */
const SAFE_TO_REPEAT: ReadonlySet<DeviceCall["method"]> = new Set([
  "read",
  "editWorkout", // idempotent edits (device/workout-edit.ts)
  "completeWorkout", // the time is the caller's, so twice writes the same
  "updateEntity", // sets fields to values: twice is once
  "delete",
  "markResolutionsSeen",
  "exportData",
  "syncNow",
  "devices",
  "setActive",
]);

const EMPTY_READS = readsOf(EMPTY_SNAPSHOT);

export class TabDevice implements AppDevice, DeviceCalls {
  private backend: Backend | undefined;
  private backendReady: Promise<Backend>;
  private setBackendReady!: (backend: Backend) => void;
  private readonly listeners = new Set<() => void>();
  private unsubscribeBackend: (() => void) | undefined;
  private readonly channel: TabChannel | undefined;
  private readonly leadership: TabLeadership | undefined;
  private closed = false;
  /** Counts changes of part, so a late one (a first snapshot after this tab took over) is dropped. */
  private generation = 0;
  /** A follower waiting for the leader's first snapshot. */
  private waiting: FollowerDevice | undefined;
  private resolveReady!: () => void;
  /** Why the store could not be opened, when it could not. */
  failure: Error | undefined;
  /** Settles once the screens have something to show (or the store failed to open). */
  readonly ready: Promise<void>;

  constructor(
    lockName: string,
    private readonly open: () => Promise<IronFlowClient>,
  ) {
    this.backendReady = this.newBackendPromise();
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
    if (TabChannel.available()) {
      this.channel = new TabChannel(lockName);
      this.leadership = new TabLeadership(lockName, this.channel, { lead: () => this.lead(), follow: () => this.follow() });
    }
    window.addEventListener("online", this.onOnline);
    document.addEventListener("visibilitychange", this.onVisibility);
  }

  start(): void {
    if (this.leadership) this.leadership.start();
    else void this.lead(); // no BroadcastChannel: this tab is on its own
  }

  get role(): TabRole {
    return this.backend?.kind ?? "follower";
  }

  /** Whether tabs are kept to one syncer by Web Locks (else by messages alone). */
  get usesLocks(): boolean {
    return this.leadership?.usesLocks ?? false;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Reads: from whichever backend is current.
  private get reads(): DeviceReads {
    return this.backend?.device ?? EMPTY_READS;
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

  // Calls: one dispatch for all.
  read = ((id) => this.dispatch({ method: "read", args: [id] })) as DeviceCalls["read"];
  create = ((type, payload) => this.dispatch({ method: "create", args: [type, payload] })) as DeviceCalls["create"];
  editWorkout: DeviceCalls["editWorkout"] = (...args) => this.dispatch({ method: "editWorkout", args }) as Promise<void>;
  updateEntity = ((id, type, patch) => this.dispatch({ method: "updateEntity", args: [id, type, patch] })) as DeviceCalls["updateEntity"];
  completeWorkout: DeviceCalls["completeWorkout"] = (...args) => this.dispatch({ method: "completeWorkout", args }) as Promise<void>;
  delete: DeviceCalls["delete"] = (...args) => this.dispatch({ method: "delete", args }) as Promise<void>;
  resolveConflict: DeviceCalls["resolveConflict"] = (...args) => this.dispatch({ method: "resolveConflict", args }) as Promise<void>;
  restoreResolution: DeviceCalls["restoreResolution"] = (...args) => this.dispatch({ method: "restoreResolution", args }) as Promise<void>;
  markResolutionsSeen: DeviceCalls["markResolutionsSeen"] = (...args) => this.dispatch({ method: "markResolutionsSeen", args }) as Promise<void>;
  dismissLibraryNotice: DeviceCalls["dismissLibraryNotice"] = (...args) =>
    this.dispatch({ method: "dismissLibraryNotice", args }) as Promise<void>;
  resolveDuplicate: DeviceCalls["resolveDuplicate"] = (...args) => this.dispatch({ method: "resolveDuplicate", args }) as Promise<void>;
  retryItem: DeviceCalls["retryItem"] = (...args) => this.dispatch({ method: "retryItem", args }) as Promise<void>;
  discardLocalChanges: DeviceCalls["discardLocalChanges"] = (...args) => this.dispatch({ method: "discardLocalChanges", args }) as Promise<void>;
  signOut: DeviceCalls["signOut"] = (...args) => this.dispatch({ method: "signOut", args }) as Promise<void>;
  signedIn: DeviceCalls["signedIn"] = (...args) => this.dispatch({ method: "signedIn", args }) as Promise<void>;
  devices: DeviceCalls["devices"] = () => this.dispatch({ method: "devices", args: [] }) as ReturnType<DeviceCalls["devices"]>;
  revokeDevice: DeviceCalls["revokeDevice"] = (...args) => this.dispatch({ method: "revokeDevice", args }) as Promise<void>;
  exportData: DeviceCalls["exportData"] = () => this.dispatch({ method: "exportData", args: [] }) as ReturnType<DeviceCalls["exportData"]>;
  importData: DeviceCalls["importData"] = (...args) => this.dispatch({ method: "importData", args }) as ReturnType<DeviceCalls["importData"]>;
  pairPeer: DeviceCalls["pairPeer"] = (...args) => this.dispatch({ method: "pairPeer", args }) as Promise<void>;
  forgetPeer: DeviceCalls["forgetPeer"] = (...args) => this.dispatch({ method: "forgetPeer", args }) as Promise<void>;
  syncNow: DeviceCalls["syncNow"] = () => this.dispatch({ method: "syncNow", args: [] }) as ReturnType<DeviceCalls["syncNow"]>;
  setActive: DeviceCalls["setActive"] = (...args) => this.dispatch({ method: "setActive", args }) as Promise<void>;

  /** Lets go of the store: the person switches user. */
  async close(): Promise<void> {
    this.closed = true;
    window.removeEventListener("online", this.onOnline);
    document.removeEventListener("visibilitychange", this.onVisibility);
    this.waiting?.close();
    const backend = this.backend;
    this.backend = undefined;
    this.unsubscribeBackend?.();
    if (backend?.kind === "leader") {
      backend.hub?.stop();
      await backend.device.close();
    } else backend?.device.close();
    this.leadership?.stop();
    this.channel?.close();
  }

  private async dispatch(call: DeviceCall): Promise<unknown> {
    for (;;) {
      const backend = await this.backendReady;
      try {
        return backend.kind === "leader" ? await perform(backend.device, call) : await backend.device.call(call);
      } catch (err) {
        if (!(err instanceof LeaderGone) || !SAFE_TO_REPEAT.has(call.method) || this.closed) throw err;
      }
    }
  }

  /** This tab holds the store now: open it and serve the other tabs. */
  private async lead(): Promise<void> {
    if (this.closed) return;
    this.generation += 1;
    this.dropBackend();
    let client: IronFlowClient;
    try {
      client = await this.open();
    } catch (err) {
      this.failure = err instanceof Error ? err : new Error(String(err));
      this.resolveReady();
      this.emit();
      return;
    }
    const device = new LocalDevice(client);
    const hub = this.channel ? new LeaderHub(this.channel, device) : undefined;
    this.useBackend({ kind: "leader", device, hub });
    // Once when it takes the store, whatever the schedule says; a failure becomes the status.
    void device.syncNow().catch(() => undefined);
    void device.setActive(this.tabId, document.visibilityState === "visible");
  }

  /** Another tab holds the store: use it through that tab, letting go of it here if this tab held it. */
  private async follow(): Promise<void> {
    if (this.closed || !this.channel) return;
    const generation = ++this.generation;
    const previous = this.dropBackend();
    if (previous?.kind === "leader") {
      previous.hub?.stop();
      await previous.device.close();
    }
    const device = new FollowerDevice(this.channel, () => document.visibilityState === "visible");
    this.waiting = device;
    // Not awaited: a leader that never answers is taken over (leadership.ts), and that must not
    // wait behind this.
    void device.ready.then(() => {
      if (this.closed || generation !== this.generation) return;
      this.waiting = undefined;
      this.useBackend({ kind: "follower", device });
    });
  }

  private get tabId(): string {
    return this.channel?.tabId ?? "this-tab";
  }

  private newBackendPromise(): Promise<Backend> {
    return new Promise((resolve) => {
      this.setBackendReady = resolve;
    });
  }

  /** Calls made from now wait for the next backend. */
  private dropBackend(): Backend | undefined {
    this.waiting?.close();
    this.waiting = undefined;
    const previous = this.backend;
    if (!previous) return undefined;
    this.backend = undefined;
    this.backendReady = this.newBackendPromise();
    this.unsubscribeBackend?.();
    this.unsubscribeBackend = undefined;
    if (previous.kind === "follower") previous.device.close();
    return previous;
  }

  private useBackend(backend: Backend): void {
    this.unsubscribeBackend?.();
    this.backend = backend;
    this.unsubscribeBackend = backend.device.subscribe(() => this.emit());
    this.setBackendReady(backend);
    this.resolveReady();
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  private readonly onOnline = () => {
    if (this.backend?.kind === "leader") this.backend.device.networkOnline();
  };

  private readonly onVisibility = () => {
    void this.setActive(this.tabId, document.visibilityState === "visible").catch(() => undefined);
  };
}
