// Pokes are allowed to be lost; data is not. Two relays' cross-relay fan-outs on a NATS server of
// the test's own and one Postgres schema, with a fake clock for the cursor check: while NATS is
// down, a change stored through one relay reaches a device on the other at the next cursor
// check, read from Postgres; when NATS is back, the relay checks at once and pokes are live again.
import { create } from "@bufbuild/protobuf";
import { afterEach, describe, expect, it } from "vitest";
import { EntitySnapshotSchema, type EntitySnapshot } from "../../schema/protocol/frames.js";
import { openCrossRelayFanout, type CrossRelayFanout } from "../../relay/backbone/cross-relay-fanout.js";
import { openNatsBackbone } from "../../relay/backbone/nats-backbone.js";
import { openPgNotifyBackbone } from "../../relay/backbone/pg-notify-backbone.js";
import { silentLogger, type Logger } from "../../relay/logger.js";
import type { Subscriber } from "../../relay/fanout.js";
import type { RelayStore } from "../../relay/store/store.js";
import { freshPgStore, schemaUrl } from "../support/databases.js";
import { FakeClock } from "../support/fake-clock.js";
import { RelayEvents } from "../support/relay-events.js";
import { startPrivateNats, type PrivateNats } from "../support/private-nats.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const CHECK_MS = 5000;
const USER = "lifter";

/** A device connection that records what reached it and wakes whoever waits. */
class Inbox implements Subscriber {
  readonly received: EntitySnapshot[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly deviceId: string) {}
  deliver = (snapshots: EntitySnapshot[]): void => {
    this.received.push(...snapshots);
    for (const wake of this.waiters.splice(0)) wake();
  };
  async has(entityId: string, version: number): Promise<EntitySnapshot> {
    for (;;) {
      const found = this.received.find((s) => s.entityId === entityId && s.version === version);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

/** Stores version `base + 1` of a workout, as the phone's push through relay A would. */
async function store(db: RelayStore, entityId: string, base: number): Promise<EntitySnapshot> {
  const [outcome] = await db.writeBatch(USER, [
    { entityId, entityType: "workout", baseVersion: base, doc: new Uint8Array([base]), data: { v: base + 1 }, deleted: false, deviceId: "phone" },
  ]);
  if (outcome?.kind !== "stored") throw new Error("not stored");
  return create(EntitySnapshotSchema, { entityType: "workout", entityId, changes: new Uint8Array([1, 2, 3]), baseVersion: base, version: outcome.version, cursor: outcome.cursor, deviceId: "phone" });
}

describe("cross-relay fan-out when pokes are lost (NATS stopped mid-run)", { timeout: 30_000 }, () => {
  it("degrades to cursor checks that read Postgres, and is live again once NATS is back", async () => {
    const nats: PrivateNats = await startPrivateNats();
    cleanups.push(() => nats.close());
    const db = await freshPgStore();
    cleanups.push(db.close);
    const clock = new FakeClock();
    const events = new RelayEvents();
    const open = async (log: Logger): Promise<CrossRelayFanout> => {
      const fanout = await openCrossRelayFanout((handlers) => openNatsBackbone({ url: nats.url, clock, log, prefix: "lost" }, handlers), { store: db.store, clock, log, cursorCheckMs: CHECK_MS });
      cleanups.push(() => fanout.close());
      return fanout;
    };
    const eventsOfA = new RelayEvents();
    const a = await open(eventsOfA);
    const b = await open(events);
    const tablet = new Inbox("tablet");
    cleanups.push(b.subscribe(USER, tablet));
    await b.ready();

    // Live: the poke carries the changes.
    a.publish(USER, "phone", [await store(db.store, "w1", 0)]);
    expect((await tablet.has("w1", 1)).changes).toEqual(new Uint8Array([1, 2, 3]));

    // /readyz's fan-out check follows the link.
    await expect(b.readinessCheck("nats").check()).resolves.toBeUndefined();

    // NATS goes away; b notices (and /readyz would say so). The next poke is lost.
    await nats.stop();
    await events.count("fanout_backbone_down", 1);
    await expect(b.readinessCheck("nats").check()).rejects.toThrow(/link to the other relays is down/);
    a.publish(USER, "phone", [await store(db.store, "w1", 1)]);
    // The cursor check comes due: the change is read from Postgres, as the whole document.
    clock.advance(CHECK_MS);
    const caughtUp = await tablet.has("w1", 2);
    expect(caughtUp.data).toEqual(new Uint8Array([1]));
    expect(caughtUp.deviceId).toBe("phone");

    // Another lost poke; then NATS comes back: b checks on reconnect, with no timer due.
    a.publish(USER, "phone", [await store(db.store, "w1", 2)]);
    await nats.start();
    expect((await tablet.has("w1", 3)).data).toEqual(new Uint8Array([2]));
    // Both relays are back on NATS (the sender too, or its next poke is lost as well).
    await Promise.all([events.count("fanout_backbone_up", 1), eventsOfA.count("fanout_backbone_up", 1)]);
    await expect(b.readinessCheck("nats").check()).resolves.toBeUndefined();

    // Live again: the poke arrives with the changes riding on it, no check involved.
    const checksBefore = events.seen.filter((e) => e === "fanout_caught_up").length;
    await b.ready();
    a.publish(USER, "phone", [await store(db.store, "w1", 3)]);
    expect((await tablet.has("w1", 4)).changes).toEqual(new Uint8Array([1, 2, 3]));
    expect(events.seen.filter((e) => e === "fanout_caught_up").length).toBe(checksBefore);
    // Each version reached the tablet once.
    expect(tablet.received.map((s) => s.version)).toEqual([1, 2, 3, 4]);
  });
});

/** Two relays' fan-outs over LISTEN/NOTIFY on a fresh schema, `inlineBytes` the most a change may ride a poke. */
async function notifyRelays(inlineBytes: number): Promise<{ db: RelayStore; a: CrossRelayFanout; b: CrossRelayFanout }> {
  const fixture = await freshPgStore();
  cleanups.push(fixture.close);
  const clock = new FakeClock();
  const log = silentLogger;
  const open = async (): Promise<CrossRelayFanout> => {
    const fanout = await openCrossRelayFanout((handlers) => openPgNotifyBackbone({ connectionString: schemaUrl(fixture.schema), clock, log }, handlers), { store: fixture.store, clock, log, inlineBytes });
    cleanups.push(() => fanout.close());
    return fanout;
  };
  return { db: fixture.store, a: await open(), b: await open() };
}

/**
 * The tablet subscribed on relay B, and one batch published through relay A: a change of
 * `bigBytes` between two of 3 bytes.
 */
async function mixedBatchToTablet(inlineBytes: number, bigBytes: number): Promise<{ db: RelayStore; a: CrossRelayFanout; tablet: Inbox }> {
  const { db, a, b } = await notifyRelays(inlineBytes);
  const tablet = new Inbox("tablet");
  cleanups.push(b.subscribe(USER, tablet));
  await b.ready();
  const big = { ...(await store(db, "big", 0)), changes: new Uint8Array(bigBytes).fill(7) };
  a.publish(USER, "phone", [await store(db, "small-1", 0), big, await store(db, "small-2", 0)]);
  return { db, a, tablet };
}

describe("cross-relay fan-out of changes too big to ride the poke", { timeout: 30_000 }, () => {
  it("sends references over LISTEN/NOTIFY, and the receiving relay reads the change from Postgres", async () => {
    // inlineBytes 0: nothing rides along; every poke is (entity, version, cursor).
    const { db, a, b } = await notifyRelays(0);
    const tablet = new Inbox("tablet");
    const phoneElsewhere = new Inbox("phone");
    cleanups.push(b.subscribe(USER, tablet), b.subscribe(USER, phoneElsewhere));
    await b.ready();

    a.publish(USER, "phone", [await store(db, "w1", 0), await store(db, "w2", 0)]);
    const [w1, w2] = [await tablet.has("w1", 1), await tablet.has("w2", 1)];
    // Whole documents from the rows (the poke carried no changes), in the order published.
    expect(w1.data).toEqual(new Uint8Array([0]));
    expect(w1.changes).toHaveLength(0);
    expect(w2.deviceId).toBe("phone");
    expect(tablet.received.map((s) => s.entityId)).toEqual(["w1", "w2"]);
    // The pushing device's other connection is still skipped: a marker after it proves it.
    a.publish(USER, "laptop", [await store(db, "marker", 0)]);
    await phoneElsewhere.has("marker", 1);
    expect(phoneElsewhere.received.map((s) => s.entityId)).toEqual(["marker"]);
  });
});

describe("cross-relay fan-out of a batch mixing small and big changes", { timeout: 30_000 }, () => {
  it("lets each small change ride the poke and reads only the big one from Postgres, in the order published", async () => {
    // 64 bytes: a 3-byte change rides along, a 200-byte one does not, nor do the three together.
    const { tablet } = await mixedBatchToTablet(64, 200);
    await tablet.has("small-2", 1);
    expect(tablet.received.map((s) => s.entityId)).toEqual(["small-1", "big", "small-2"]);
    const [small1, readBig, small2] = tablet.received;
    // The small ones carry the pushed changes; the big one is the row's whole document.
    expect(small1?.changes).toEqual(new Uint8Array([1, 2, 3]));
    expect(small2?.changes).toEqual(new Uint8Array([1, 2, 3]));
    expect(readBig?.changes).toHaveLength(0);
    expect(readBig?.data).toEqual(new Uint8Array([0]));
  });
});

describe("cross-relay fan-out of a batch too big for one NOTIFY with everything inline", { timeout: 30_000 }, () => {
  it("sends the batch as references instead of dropping it", async () => {
    // inlineBytes above NOTIFY's 8,000 bytes: the three changes ride one poke of about 12 KB.
    const { db, a, tablet } = await mixedBatchToTablet(1_000_000, 9000);
    a.publish(USER, "phone", [await store(db, "marker", 0)]);
    await tablet.has("marker", 1);
    // All three read from Postgres (the rows' whole documents), in the order published.
    expect(tablet.received.map((s) => s.entityId)).toEqual(["small-1", "big", "small-2", "marker"]);
    expect(tablet.received[1]?.data).toEqual(new Uint8Array([0]));
    expect(tablet.received[1]?.changes).toHaveLength(0);
  });
});
