// The device in the tab that holds its store: every read and call goes to the IronFlowClient.
import type { AuthSession, EntityType, IronFlowClient, Payloads } from "../../core/index.js";
import type { DeviceCalls, DeviceReads, DuplicateAction } from "./app-device.js";
import { applyWorkoutEdit, type WorkoutEdit } from "./workout-edit.js";

export class LocalDevice implements DeviceReads, DeviceCalls {
  /** Tabs of the app in front; the client syncs on its schedule while there is one. */
  private readonly activeTabs = new Set<string>();

  constructor(readonly client: IronFlowClient) {}

  subscribe(listener: () => void): () => void {
    return this.client.subscribe(listener);
  }

  list(type?: EntityType, options?: { includeDeleted?: boolean }) {
    return this.client.list(type, options);
  }
  syncState(id: string) {
    return this.client.syncState(id);
  }
  status() {
    return this.client.status();
  }
  queueItems() {
    return this.client.queueItems().filter((item) => item.status !== "synced");
  }
  resolutions() {
    return this.client.resolutions();
  }
  libraryNotices() {
    return this.client.libraryNotices();
  }
  duplicates() {
    return this.client.duplicates();
  }
  account() {
    return { signedIn: this.client.account().signedIn };
  }
  nearbyPeers() {
    return this.client.knownPeers().map((peer) => {
      const status = this.client.peerLinkTo(peer.peerId)?.status;
      return {
        peerId: peer.peerId,
        name: peer.name,
        lastAddress: peer.lastAddress,
        connected: status?.connected ?? false,
        lastSyncAt: status?.lastSyncAt ?? null,
        lastError: status?.lastError?.detail ?? null,
        pulled: status?.pulled ?? 0,
        pushed: status?.pushed ?? 0,
      };
    });
  }

  read<T extends EntityType = EntityType>(id: string) {
    return this.client.read<T>(id);
  }
  create<T extends EntityType>(type: T, payload: Payloads[T]) {
    return this.client.create(type, payload);
  }
  editWorkout(id: string, edit: WorkoutEdit, basedOn?: string[]) {
    return this.client.update<"workout">(id, (workout) => applyWorkoutEdit(workout, edit), { basedOn });
  }
  updateEntity<T extends EntityType>(id: string, _type: T, patch: Partial<Payloads[T]>) {
    return this.client.update<T>(id, (payload) => Object.assign(payload, patch));
  }
  completeWorkout(id: string, at: number) {
    return this.client.completeWorkout(id, at);
  }
  delete(id: string, basedOn?: string[]) {
    return this.client.delete(id, { basedOn });
  }
  resolveConflict(id: string, choice: Parameters<DeviceCalls["resolveConflict"]>[1], seenServerVersion: number) {
    return this.client.resolveConflict(id, choice, seenServerVersion);
  }
  restoreResolution(id: string) {
    return this.client.restoreResolution(id);
  }
  markResolutionsSeen(ids?: string[]) {
    return this.client.markResolutionsSeen(ids);
  }
  dismissLibraryNotice(id: string) {
    return this.client.dismissLibraryNotice(id);
  }
  resolveDuplicate(flagId: string, action: DuplicateAction) {
    return this.client.resolveDuplicate(flagId, action);
  }
  retryItem(id: string) {
    return this.client.retryItem(id);
  }
  signOut() {
    return this.client.signOut();
  }
  signedIn(session: AuthSession) {
    return this.client.signedIn(session);
  }
  devices() {
    return this.client.devices();
  }
  revokeDevice(deviceId: string) {
    return this.client.revokeDevice(deviceId);
  }

  discardLocalChanges(id: string) {
    return this.client.discardLocalChanges(id);
  }
  exportData() {
    return this.client.exportData();
  }
  importData(file: unknown) {
    return this.client.importData(file);
  }

  async pairPeer(invite: string) {
    await this.client.pairPeer(invite);
  }
  forgetPeer(peerId: string) {
    return this.client.forgetPeer(peerId);
  }

  async syncNow() {
    // An item the relay refused is taken by no run, not even a manual one; the person asking to
    // sync is the moment to try it again (the relay, or the person's fix, may let it pass now).
    for (const item of this.client.queueItems()) if (item.status === "error") await this.client.retryItem(item.entityId);
    return this.client.syncNow();
  }

  setActive(tab: string, active: boolean): Promise<void> {
    if (active) this.activeTabs.add(tab);
    else this.activeTabs.delete(tab);
    this.client.setActive(this.activeTabs.size > 0);
    return Promise.resolve();
  }

  /** The network is back (the browser's `online` event). */
  networkOnline(): void {
    void this.client.networkOnline();
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
