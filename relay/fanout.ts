// Fan-out of accepted changes to the other connected devices of the same user, in this relay
// process. Across relay processes a poke (user, entity, version) goes out after the commit
// (LISTEN/NOTIFY or NATS) and the receiving relay reads the change from Postgres; that plugs in
// behind `publish` without touching the sync service.
import type { EntitySnapshot } from "../schema/protocol/frames.js";

export interface Subscriber {
  deviceId: string;
  deliver(snapshots: EntitySnapshot[]): void;
}

export class Fanout {
  private readonly byUser = new Map<string, Set<Subscriber>>();

  subscribe(userId: string, subscriber: Subscriber): () => void {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0) this.byUser.delete(userId);
    };
  }

  publish(userId: string, fromDeviceId: string, snapshots: EntitySnapshot[]): void {
    if (snapshots.length === 0) return;
    for (const subscriber of this.byUser.get(userId) ?? []) {
      if (subscriber.deviceId !== fromDeviceId) subscriber.deliver(snapshots);
    }
  }

  /** The exercise library changed: every connected device hears of it. */
  publishToAll(snapshots: EntitySnapshot[]): void {
    if (snapshots.length === 0) return;
    for (const set of this.byUser.values()) for (const subscriber of set) subscriber.deliver(snapshots);
  }

  get connectedUsers(): number {
    return this.byUser.size;
  }
}
