// Fan-out of accepted changes to the other connected devices of the same user. The seam is the
// Fanout interface; InProcessFanout delivers within this relay process. Across relay processes
// CrossRelayFanout (backbone/cross-relay-fanout.ts) sends a poke after the commit on
// LISTEN/NOTIFY or NATS and the receiving relay sends the change on; it plugs in through
// startRelay's `fanout` option, without touching the sync service. Every implementation passes
// the same suite (test/relay/fanout-suite.ts, runFanoutSuite).
// Specification: docs/relay.md
import type { EntitySnapshot } from "../schema/protocol/frames.js";

/** One connection of a device, as the fan-out sees it. */
export interface Subscriber {
  deviceId: string;
  /** Hands snapshots to the connection. Must not throw: a connection that cannot send drops them. */
  deliver(snapshots: EntitySnapshot[]): void;
}

/**
 * Contract:
 * - publish(userId, fromDeviceId, snapshots) delivers the snapshots to every subscriber of
 *   userId whose deviceId is not fromDeviceId, wherever it is connected (this relay or another
 *   sharing the backbone): the user's other devices. Never to a subscriber of the sending
 *   device (a device may be connected more than once), never to another user's subscriber.
 * - publishToAll(snapshots) delivers to every subscriber of every user: the exercise library
 *   changed.
 * - An empty list of snapshots delivers nothing.
 * - subscribe returns an unsubscribe function. Once it returned, nothing more reaches that
 *   subscriber; calling it again does nothing.
 * - Ordering per publisher: what one Fanout publishes for one user reaches each subscriber in
 *   the order it was published; so do its publishToAll calls among themselves.
 * - A relay hands one publish to all of its own subscribers it reaches at once (in one pass), so
 *   when one of them has it, every other one on that relay that it reaches has it too.
 * - Delivery may be synchronous or later; publish neither waits for it nor fails because of it.
 * - sent() resolves once what was published so far has left this relay (on a backbone: its
 *   pokes handed over), was found lost, or took too long; it never rejects. A batch is answered
 *   only then: a device holding an answer never leaves a change whose poke had not gone out
 *   (a relay killed right after answering would lose it, and nothing would push it again).
 * - ready() resolves once every subscription made so far receives what is published from then
 *   on, wherever (a session says Welcome only after it). An implementation whose backbone is
 *   down resolves it anyway: what such a subscriber misses, a later cursor check brings.
 */
export interface Fanout {
  subscribe(userId: string, subscriber: Subscriber): () => void;
  publish(userId: string, fromDeviceId: string, snapshots: EntitySnapshot[]): void;
  publishToAll(snapshots: EntitySnapshot[]): void;
  sent(): Promise<void>;
  ready(): Promise<void>;
}

/** The fan-out within one relay process: synchronous delivery to this process's connections. */
export class InProcessFanout implements Fanout {
  private readonly byUser = new Map<string, Set<Subscriber>>();

  subscribe(userId: string, subscriber: Subscriber): () => void {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.byUser.get(userId) === set) this.byUser.delete(userId);
    };
  }

  publish(userId: string, fromDeviceId: string, snapshots: EntitySnapshot[]): void {
    if (snapshots.length === 0) return;
    for (const subscriber of this.byUser.get(userId) ?? []) {
      if (subscriber.deviceId !== fromDeviceId) subscriber.deliver(snapshots);
    }
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  /** Delivery is done by publish itself. */
  sent(): Promise<void> {
    return Promise.resolve();
  }

  publishToAll(snapshots: EntitySnapshot[]): void {
    if (snapshots.length === 0) return;
    for (const set of this.byUser.values()) for (const subscriber of set) subscriber.deliver(snapshots);
  }
}
