// The Fanout contract (relay/fanout.ts), clause by clause. Every implementation runs it: the
// in-process one, and the cross-relay one on LISTEN/NOTIFY and on NATS. Deliveries may arrive later
// than publish returns, so the suite waits for them as events (the test's timeout bounds every
// wait) and never sleeps. A delivery that must NOT happen is ruled out after a later one in the
// same order has arrived: a marker published after it for the same user by the same Fanout
// (ordering per publisher), or another subscriber on the same relay that the same publish
// reached (one pass per relay).
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { EntitySnapshotSchema, type EntitySnapshot } from "../../schema/protocol/frames.js";
import type { Fanout, Subscriber } from "../../relay/fanout.js";

export interface FanoutHarness {
  /**
   * Two relays' fan-outs on one backbone: what one publishes reaches the other's subscribers.
   * An implementation confined to one process gives the same Fanout twice.
   */
  relays: readonly [Fanout, Fanout];
  /** Releases what setup opened (connections, servers). */
  close?: () => Promise<void>;
}

/** A device connection that records what reached it, one entry per delivery. */
class Inbox implements Subscriber {
  /** Each delivery as "entityId@version" labels. */
  readonly deliveries: string[][] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly deviceId: string) {}

  deliver = (snapshots: EntitySnapshot[]): void => {
    this.deliveries.push(snapshots.map((s) => `${s.entityId}@${s.version}`));
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  };

  /** Every label received, in order. */
  labels(): string[] {
    return this.deliveries.flat();
  }

  /** Resolves once a delivery carrying `label` has arrived. */
  async received(label: string): Promise<void> {
    while (!this.labels().includes(label)) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** A snapshot labelled "entityId@version". */
function snapshot(entityId: string, version = 1): EntitySnapshot {
  return create(EntitySnapshotSchema, { entityType: "workout", entityId, version, serverTime: 1n, cursor: BigInt(version) });
}

export function runFanoutSuite(name: string, setup: () => Promise<FanoutHarness>): void {
  // A missing delivery fails in seconds, not at the suite-wide minute.
  describe(`Fanout contract: ${name}`, { timeout: 10_000 }, () => {
    const teardown: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      while (teardown.length > 0) await teardown.pop()?.();
    });

    async function relays(): Promise<readonly [Fanout, Fanout]> {
      const harness = await setup();
      if (harness.close) teardown.push(harness.close);
      return harness.relays;
    }

    /** A subscribed connection, once the fan-out says it receives (as a session's Welcome waits). */
    async function connect(fanout: Fanout, userId: string, deviceId: string): Promise<Inbox> {
      const inbox = new Inbox(deviceId);
      teardown.push(fanout.subscribe(userId, inbox));
      await fanout.ready();
      return inbox;
    }

    it("a publish reaches every other device of the user, on this relay and on another", async () => {
      const [a, b] = await relays();
      await connect(a, "u1", "phone");
      const tablet = await connect(a, "u1", "tablet");
      const laptop = await connect(b, "u1", "laptop");
      a.publish("u1", "phone", [snapshot("w1"), snapshot("w2")]);
      await Promise.all([tablet.received("w2@1"), laptop.received("w2@1")]);
      expect(tablet.deliveries).toEqual([["w1@1", "w2@1"]]);
      expect(laptop.deliveries).toEqual([["w1@1", "w2@1"]]);
    });

    it("a publish never comes back to the sending device, however many connections it has", async () => {
      const [a, b] = await relays();
      const phone = await connect(a, "u1", "phone");
      const phoneAgain = await connect(b, "u1", "phone");
      const tablet = await connect(a, "u1", "tablet");
      a.publish("u1", "phone", [snapshot("w1")]);
      await tablet.received("w1@1");
      // The marker follows w1 in u1's order from the same publisher: once it is in, w1 is not coming.
      a.publish("u1", "tablet", [snapshot("marker")]);
      await Promise.all([phone.received("marker@1"), phoneAgain.received("marker@1")]);
      expect(phone.labels()).toEqual(["marker@1"]);
      expect(phoneAgain.labels()).toEqual(["marker@1"]);
    });

    it("a publish never reaches another user's devices", async () => {
      const [a, b] = await relays();
      const tablet = await connect(a, "u1", "tablet");
      const strangerHere = await connect(a, "u2", "tablet");
      const strangerThere = await connect(b, "u2", "phone");
      a.publish("u1", "phone", [snapshot("w1")]);
      await tablet.received("w1@1");
      // Had w1 gone to u2, it would come before this marker in u2's order.
      a.publish("u2", "laptop", [snapshot("marker")]);
      await Promise.all([strangerHere.received("marker@1"), strangerThere.received("marker@1")]);
      expect(strangerHere.labels()).toEqual(["marker@1"]);
      expect(strangerThere.labels()).toEqual(["marker@1"]);
    });

    it("a library change reaches every device of every user, on every relay", async () => {
      const [a, b] = await relays();
      const inboxes = [await connect(a, "u1", "phone"), await connect(b, "u1", "tablet"), await connect(a, "u2", "phone"), await connect(b, "u3", "laptop")];
      a.publishToAll([snapshot("squat")]);
      await Promise.all(inboxes.map((inbox) => inbox.received("squat@1")));
      for (const inbox of inboxes) expect(inbox.deliveries).toEqual([["squat@1"]]);
    });

    it("an empty publish delivers nothing", async () => {
      const [a, b] = await relays();
      const here = await connect(a, "u1", "tablet");
      const there = await connect(b, "u1", "laptop");
      a.publish("u1", "phone", []);
      a.publishToAll([]);
      a.publish("u1", "phone", [snapshot("w1")]);
      a.publishToAll([snapshot("squat")]);
      await Promise.all([here.received("w1@1"), here.received("squat@1"), there.received("w1@1"), there.received("squat@1")]);
      for (const inbox of [here, there]) {
        expect(inbox.deliveries).toHaveLength(2);
        expect(inbox.deliveries.every((delivery) => delivery.length === 1)).toBe(true);
      }
    });

    it("after unsubscribe nothing more reaches that connection; the others still get theirs", async () => {
      const [a, b] = await relays();
      const leaving = new Inbox("tablet");
      const unsubscribe = a.subscribe("u1", leaving);
      await a.ready();
      const staying = await connect(a, "u1", "watch");
      const elsewhere = await connect(b, "u1", "laptop");
      a.publish("u1", "phone", [snapshot("w1")]);
      await Promise.all([leaving.received("w1@1"), staying.received("w1@1"), elsewhere.received("w1@1")]);

      unsubscribe();
      a.publish("u1", "phone", [snapshot("w1", 2)]);
      a.publishToAll([snapshot("squat")]);
      // `staying` is on the same relay: a delivery to `leaving` would have come in the same pass.
      await Promise.all([staying.received("w1@2"), staying.received("squat@1"), elsewhere.received("squat@1")]);
      expect(leaving.labels()).toEqual(["w1@1"]);
    });

    it("unsubscribing twice does nothing, even after the user connected again", async () => {
      const [a] = await relays();
      const first = new Inbox("tablet");
      const unsubscribeFirst = a.subscribe("u1", first);
      await a.ready();
      unsubscribeFirst();
      const again = await connect(a, "u1", "tablet");
      unsubscribeFirst();
      a.publish("u1", "phone", [snapshot("w1")]);
      await again.received("w1@1");
      expect(first.labels()).toEqual([]);
    });

    it("what one relay publishes reaches each device in the order it was published", async () => {
      const [a, b] = await relays();
      const here = await connect(a, "u1", "tablet");
      const there = await connect(b, "u1", "laptop");
      const versions = Array.from({ length: 25 }, (_, i) => i + 1);
      for (const version of versions) {
        a.publish("u1", "phone", [snapshot("w1", version)]);
        a.publishToAll([snapshot("squat", version)]);
      }
      await Promise.all([here.received("w1@25"), here.received("squat@25"), there.received("w1@25"), there.received("squat@25")]);
      for (const inbox of [here, there]) {
        expect(inbox.labels().filter((label) => label.startsWith("w1@"))).toEqual(versions.map((v) => `w1@${v}`));
        expect(inbox.labels().filter((label) => label.startsWith("squat@"))).toEqual(versions.map((v) => `squat@${v}`));
      }
    });
  });
}
