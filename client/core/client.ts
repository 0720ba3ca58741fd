// The public client: what an app (the React app, a Node script, a test device) uses. A facade:
// each call delegates to the part that does the job (device.ts wires them), then tells
// subscribers that what they show may have changed and, for a local change, starts a push.
// Specification: docs/sync-engine.md
import type { EntityDocument, EntitySummary, EntityType, Payloads } from "../../schema/entities.js";
import { Code, SyncError } from "../../schema/status.js";
import type { DuplicateAction } from "./conflicts/duplicates.js";
import type { DuplicateFlag, LibraryNotice } from "./conflicts/notices.js";
import type { ConflictChoice } from "./conflicts/plan-resolution.js";
import type { ResolutionEntry } from "./conflicts/resolution-log.js";
import { openDevice, type Device, type DeviceOptions } from "./device.js";
import { DeviceStateStore } from "./device-state.js";
import type { DeviceStorage } from "./storage/device-storage.js";
import type { AuthSession, DeviceInfo } from "../../schema/accounts.js";
import type { ExportFile, ImportReport } from "./queue/export-import.js";
import { PeerLink, type PeerLinkOptions } from "./peer/peer-link.js";
import { PeerState } from "./peer/peer-state.js";
import { KnownPeers, type KnownPeerInfo } from "./peer/known-peers.js";
import type { PeerInvite } from "./peer/invite.js";
import { PeerDirectory } from "./peer/peer-directory.js";
import type { Transport } from "./transport/transport.js";
import type { SyncQueueItem } from "./queue/queue-item.js";
import { waitsForManualSync } from "./queue/retry-schedule.js";
import { syncMetrics, syncStatus, type SyncMetrics, type SyncStatusSnapshot } from "./sync/sync-status.js";
import type { SyncReport } from "./sync/sync-types.js";

export type { ResolutionEntry } from "./conflicts/resolution-log.js";
export type { ExportFile, ImportReport } from "./queue/export-import.js";
export type { SyncMetrics, SyncStatusSnapshot } from "./sync/sync-status.js";
export type { PeerLink, PeerLinkOptions, PeerLinkStatus, PeerReport } from "./peer/peer-link.js";
export type { KnownPeerInfo } from "./peer/known-peers.js";

export interface ClientOptions extends DeviceOptions {
  /** Push right after each local change while connected (default true). */
  syncOnChange?: boolean;
  /** How to reach a LAN peer's ws:// address (pairPeer, linkKnownPeer); none: only linkPeer. */
  peerTransport?: (url: string) => Transport;
}

/** Per-entity state the app shows. */
export type EntitySyncState = "saved_on_device" | "syncing" | "synced" | "conflict" | "needs_attention";

export interface EntityListItem extends EntitySummary {
  syncState: EntitySyncState;
  serverVersion: number;
}

export const MANUAL_SYNC_MESSAGE = "Some changes couldn't sync. Check connection.";

export class IronFlowClient {
  private readonly listeners = new Set<() => void>();
  private readonly peers = new Set<PeerLink>();
  private closed = false;
  private readonly directory: PeerDirectory;
  readonly deviceId: string;

  private constructor(
    private readonly device: Device,
    private readonly syncOnChange: boolean,
    known: KnownPeers,
    peerTransport: ((url: string) => Transport) | undefined,
  ) {
    this.deviceId = device.state.state.deviceId;
    this.directory = new PeerDirectory({
      known,
      transportTo: peerTransport,
      identity: () => ({ deviceId: this.deviceId, deviceName: device.state.state.deviceName }),
      now: () => device.timers.now(),
      link: (options) => this.linkPeer(options),
      unlink: (link) => this.unlinkPeer(link),
      dropPeerState: (peerId) => PeerState.drop(device.storage, peerId),
    });
  }

  /** The id a device store goes by, made on first use: sent with a sign-in so the relay keeps it. */
  static deviceIdOf(storage: DeviceStorage): Promise<string> {
    return DeviceStateStore.deviceIdOf(storage);
  }

  static async open(options: ClientOptions): Promise<IronFlowClient> {
    // The device tells the client of changes; the client exists only once the device is open.
    const listeners: { emit?: () => void } = {};
    const device = await openDevice(options, () => listeners.emit?.());
    const client = new IronFlowClient(device, options.syncOnChange ?? true, await KnownPeers.open(device.storage), options.peerTransport);
    listeners.emit = () => client.emit();
    return client;
  }

  /** Creates an entity; resolves with its id once it is saved on this device. */
  async create<T extends EntityType>(type: T, payload: Payloads[T]): Promise<string> {
    const id = await this.device.changes.create(type, payload);
    await this.device.duplicates.check(id);
    this.afterLocalChange();
    return id;
  }

  /**
   * Changes an entity's payload; resolves once saved on this device. `mutate` edits a plain
   * copy; an invalid result throws INVALID_ARGUMENT and changes nothing; a deleted entity throws
   * FAILED_PRECONDITION (restore it first). With `basedOn` (the heads read() gave the screen),
   * only what the person changed is written, and a value typed over a change that arrived
   * meanwhile keeps the other one in a resolution record.
   */
  // T is how a caller names the type it edits: update<"workout">(id, (w) => ...).
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  async update<T extends EntityType>(id: string, mutate: (payload: Payloads[T]) => void, options: { basedOn?: string[] } = {}): Promise<void> {
    await this.device.changes.change(id, "update", (doc) => mutate(doc.payload as Payloads[T]), { ...options, refuseDeleted: true });
    this.afterLocalChange();
  }

  /**
   * Marks an entity deleted (a tombstone that syncs like any change). With `basedOn` (the heads
   * read() gave the screen), what arrived meanwhile is named in a resolution record, restorable.
   */
  async delete(id: string, options: { basedOn?: string[] } = {}): Promise<void> {
    await this.device.changes.delete(id, options);
    this.afterLocalChange();
  }

  async get<T extends EntityType = EntityType>(id: string): Promise<EntityDocument<T> | undefined> {
    return (await this.read<T>(id))?.doc;
  }

  /** The document and its heads (what an editor passes back to update() as `basedOn`). */
  async read<T extends EntityType = EntityType>(id: string): Promise<{ doc: EntityDocument<T>; heads: string[] } | undefined> {
    const { entities } = this.device;
    if (!entities.record(id)) return undefined;
    const { doc, heads } = await entities.jsonWithHeads(id);
    return { doc: doc as EntityDocument<T>, heads };
  }

  /** Draws from the per-entity summaries: never loads a document. Newest first. */
  list(type?: EntityType, options: { includeDeleted?: boolean } = {}): EntityListItem[] {
    return this.device.entities
      .allRecords()
      .filter((r) => (!type || r.type === type) && (options.includeDeleted || !r.summary.deleted))
      .map((r) => ({ ...r.summary, serverVersion: r.serverVersion, syncState: this.syncState(r.id) }))
      .sort((a, b) => b.date - a.date);
  }

  syncState(id: string): EntitySyncState {
    const item = this.device.queue.get(id);
    if (!item || item.status === "synced") return "synced";
    if (item.status === "conflict") return "conflict";
    if (item.status === "error" || waitsForManualSync(item.retryCount)) return "needs_attention";
    return this.device.engine.isInFlight(id) ? "syncing" : "saved_on_device";
  }

  queueItems(): SyncQueueItem[] {
    return this.device.queue.all();
  }

  conflicts(): SyncQueueItem[] {
    return this.device.queue.all().filter((item) => item.status === "conflict");
  }

  /** Tries an item the relay refused again (after fixing it, or because it may pass now). */
  async retryItem(id: string): Promise<void> {
    await this.device.lock.run(() => this.device.queue.retry(id));
    this.afterLocalChange();
  }

  /**
   * Gives up this device's changes that the relay has not taken: the entity goes back to the
   * relay's version (one the relay never had is removed from this device).
   */
  async discardLocalChanges(id: string): Promise<void> {
    await this.device.changes.discard(id);
    this.afterLocalChange();
  }

  /** Everything the person owns, with its history, as one JSON-ready object. */
  exportData(): Promise<ExportFile> {
    return this.device.transfer.exportAll();
  }

  /** Takes an export in: the same history adds nothing, so importing twice duplicates nothing. */
  async importData(file: unknown): Promise<ImportReport> {
    const report = await this.device.transfer.importAll(file);
    this.afterLocalChange();
    return report;
  }

  /**
   * Keeps this device's version, the other device's, or Automerge's merge of both.
   * `seenServerVersion`: the relay's version the person was shown (settle.ts: refused when it moved on).
   */
  async resolveConflict(id: string, choice: ConflictChoice, seenServerVersion?: number): Promise<void> {
    await this.device.lock.run(() => this.device.settler.choose(id, choice, seenServerVersion));
    this.afterLocalChange();
  }

  /**
   * What was resolved without asking the person, or what their choice could not keep, newest
   * first. The records live in the documents, so every device of the person shows the same ones.
   */
  resolutions(): ResolutionEntry[] {
    return this.device.resolutions.list();
  }

  /** Brings back what a resolution record lists, on top of the document as it is now. */
  async restoreResolution(resolutionId: string): Promise<void> {
    await this.device.resolutions.restore(resolutionId);
    this.afterLocalChange();
  }

  /** The person has seen these records here (all of them when none are named). */
  async markResolutionsSeen(ids?: string[]): Promise<void> {
    await this.device.resolutions.markSeen(ids);
    this.emit();
  }

  /** The relay's exercise library changed (each device hears it itself). */
  libraryNotices(): LibraryNotice[] {
    return this.device.board.libraryNotices();
  }

  async dismissLibraryNotice(id: string): Promise<void> {
    if (await this.device.board.dismissLibraryNotice(id)) this.emit();
  }

  /** Pairs of workouts logged for the same time, maybe one session on two devices. */
  duplicates(): DuplicateFlag[] {
    return this.device.duplicates.list();
  }

  /** Keeps both as they are, or deletes one, or merges the other's exercises into `keep` and deletes the other. */
  async resolveDuplicate(flagId: string, action: DuplicateAction): Promise<void> {
    await this.device.duplicates.resolve(flagId, action);
    this.afterLocalChange();
  }

  status(): SyncStatusSnapshot {
    return syncStatus(this.device.engine, this.device.queue, this.device.tally);
  }

  metrics(): SyncMetrics {
    return syncMetrics(this.device.engine, this.device.queue);
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
    return this.device.scheduler.run<SyncReport>("manual").then((report) => {
      if (!report) throw new SyncError(Code.FAILED_PRECONDITION, "client is closed");
      return report;
    });
  }

  /**
   * Automatic syncing: every 5 minutes while active, on return to the foreground (here, when
   * `active` turns true), on failed items coming due, and reconnects with back-off.
   */
  setActive(active: boolean): void {
    if (!this.closed) this.device.scheduler.setActive(active);
  }

  /** The network is back (the browser's `online` event). */
  networkOnline(): Promise<void> {
    return this.device.scheduler.trigger("online");
  }

  /** Marks a workout completed; resolves once saved, and syncs right away if online. */
  async completeWorkout(id: string, at = this.device.now()): Promise<void> {
    await this.device.changes.change(id, "update", (doc) => {
      (doc.payload as Payloads["workout"]).completedAt = at;
    }, { refuseDeleted: true });
    this.emit();
    if (this.device.engine.online) await this.device.scheduler.trigger("workout_completed");
  }

  /** Whose data this device holds, and whether it is signed in (a signed-out device keeps its queue). */
  account(): { userId: string; deviceId: string; signedIn: boolean } {
    const { credentials } = this.device;
    return { userId: credentials.userId, deviceId: credentials.deviceId, signedIn: credentials.signedIn };
  }

  /** Signs in again as the same person (after a sign-out, or a session the relay ended): the queue syncs. */
  async signedIn(session: AuthSession): Promise<void> {
    await this.device.credentials.replace(session);
    this.emit();
    if (this.syncOnChange) void this.device.scheduler.trigger("online");
  }

  /**
   * Signs out here and at the relay. Nothing the device keeps is deleted: what is waiting stays
   * queued (status().queueDepth says how much) and syncs when the same person signs in again.
   */
  async signOut(): Promise<void> {
    this.device.engine.disconnect();
    await this.device.credentials.signOut();
    this.emit();
  }

  /** The person's devices, as the relay knows them. */
  async devices(): Promise<DeviceInfo[]> {
    return this.device.api.devices(await this.device.credentials.accessToken());
  }

  /** Revokes one of the person's devices: its connections close, and it can no longer sync. */
  async revokeDevice(deviceId: string): Promise<void> {
    await this.device.api.revokeDevice(await this.device.credentials.accessToken(), deviceId);
  }

  /**
   * Links this device to a LAN peer of the same person (docs/peer-sync.md): changes go both ways
   * through it while linked, and what it brings is queued for the relay like a local change. The
   * link syncs at once, after each local change, and when the peer says another device pushed.
   */
  async linkPeer(options: PeerLinkOptions): Promise<PeerLink> {
    if (this.closed) throw new SyncError(Code.FAILED_PRECONDITION, "client is closed");
    const { device } = this;
    const link = new PeerLink(options, {
      identity: { userId: device.credentials.userId, deviceId: this.deviceId, deviceName: device.state.state.deviceName },
      entities: device.entities,
      transfer: device.transfer,
      state: await PeerState.open(device.storage, options.peerId),
      lock: device.lock,
      timers: device.timers,
      log: device.log,
      requestTimeoutMs: device.requestTimeoutMs,
      notify: () => this.emit(),
      onNewWork: () => device.engine.queueNewWork(),
    });
    this.peers.add(link);
    link.trigger();
    return link;
  }

  /**
   * Pairs with the LAN peer an invite names (the text `npm run peer` prints, or its QR code),
   * remembers it in this device's storage, and links. A remembered peer answering with another
   * identity key is refused (PeerKeyChanged): forget it first. Rejects with INVALID_ARGUMENT for
   * text that is not an invite, or the pairing's refusal.
   */
  pairPeer(invite: string | PeerInvite): Promise<PeerLink> {
    return this.directory.pair(invite);
  }

  /** The peers this device paired with and remembers. */
  knownPeers(): KnownPeerInfo[] {
    return this.directory.known();
  }

  /** The open link to a remembered peer, if any. */
  peerLinkTo(peerId: string): PeerLink | undefined {
    return this.directory.linkTo(peerId);
  }

  /** Links to a remembered peer, at `address` (found again by mDNS) or where it was last reached. */
  linkKnownPeer(peerId: string, address?: string): Promise<PeerLink> {
    return this.directory.link(peerId, address);
  }

  /** Links to every remembered peer (a new session). */
  linkKnownPeers(): Promise<PeerLink[]> {
    return this.directory.linkAll();
  }

  /** Unlinks and forgets a peer: its key, credentials and versions (the data it brought stays). */
  forgetPeer(peerId: string): Promise<void> {
    return this.directory.forget(peerId);
  }

  /** Ends a peer link (the data it brought stays, queued for the relay). */
  async unlinkPeer(link: PeerLink): Promise<void> {
    this.peers.delete(link);
    await link.close();
  }

  /** Disconnects from the relay; local use goes on. */
  goOffline(): void {
    this.device.engine.disconnect();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.device.scheduler.stop();
    for (const link of this.peers) await link.close();
    this.peers.clear();
    // A sync on its way ends (its requests fail at once on the closed connection) before the
    // storage is let go of: a run that went on after close would write into a folder that the
    // next client opened on it no longer watches.
    await this.device.engine.stop();
    // Whatever was being written finishes before the storage is let go of; the last sync time is
    // written too, best effort (storage that refuses it loses only the time shown).
    await this.device.lock.run(() => this.device.state.flush().catch(() => undefined));
    await this.device.recordsSettled();
    this.listeners.clear();
  }

  private afterLocalChange(): void {
    this.emit();
    for (const link of this.peers) link.trigger();
    // Pushed at once when a connection is up or being set up (a run in progress picks it up in
    // one more run right after). A failed background sync becomes state (status().lastError).
    const { engine, scheduler } = this.device;
    if (this.syncOnChange && (engine.online || engine.connecting)) void scheduler.trigger("local_change");
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
