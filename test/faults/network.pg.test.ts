// The link between a device and the relay fails for real: a TCP proxy on loopback cuts the
// connections, swallows every byte without closing, or holds bytes back. The device runs its own
// scheduler; the test waits on the device's state and the proxy's events, never on time. In the
// end Postgres holds every workout exactly once.
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import type { IronFlowClient } from "../../client/core/index.js";
import { freshPgStore, type PgStoreFixture } from "../support/databases.js";
import { tempDir, waitFor } from "../support/devices.js";
import { Cleanups, guard, logWorkouts, openTestDevice, settled, relayRows, repeated } from "./fixtures.js";
import { TcpProxy } from "./tcp-proxy.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface Rig {
  db: PgStoreFixture;
  relay: Relay;
  proxy: TcpProxy;
}

async function rig(): Promise<Rig> {
  const db = await freshPgStore();
  cleanups.add(() => db.close());
  const relay = await startTestRelay({ store: db.store });
  cleanups.add(() => relay.close().catch(() => undefined));
  const proxy = await TcpProxy.open({ port: relay.port });
  cleanups.add(() => proxy.close());
  return { db, relay, proxy };
}

/** The relay holds exactly `ids`, once each, at version `version` (all created once, never edited). */
async function expectStoredOnce(schema: string, ids: string[], version?: number): Promise<void> {
  const rows = await relayRows(schema);
  expect(repeated(rows.map((r) => r.entityId))).toEqual([]);
  expect(repeated(rows.map((r) => r.title))).toEqual([]);
  expect(repeated(rows.map((r) => r.cursor))).toEqual([]);
  expect(rows.map((r) => r.entityId).sort()).toEqual([...ids].sort());
  for (const row of rows) expect(row.docId).toBe(row.entityId);
  if (version !== undefined) expect(rows.map((r) => r.version)).toEqual(rows.map(() => version));
}

/** Another device of the same person, straight to the relay, sees exactly `ids`. */
async function expectOtherDeviceSees(relay: Relay, ids: string[]): Promise<IronFlowClient> {
  const tablet = await openTestDevice(cleanups, "tablet", relay.syncUrl);
  await tablet.syncNow();
  const listed = tablet.list("workout").map((w) => w.id);
  expect(repeated(listed)).toEqual([]);
  expect(listed.sort()).toEqual([...ids].sort());
  return tablet;
}

describe("a connection cut in the middle of a sync", () => {
  it("losing a reply, then a request, mid-batch: the device resumes by itself and the relay holds each of 50 workouts once", async () => {
    const { db, relay, proxy } = await rig();
    const phone = await openTestDevice(cleanups, "phone", proxy.syncUrl, { maxBatchItems: 10 });
    const ids = await logWorkouts(phone, "Session", 50);

    // Cut 1: once 10 items are acknowledged, the relay's next reply (batch 2, committed) is lost.
    // Cut 2: on the next connection, once 10 more are done, the next request is cut on its way.
    let phase: "first" | "armed-reply" | "second" | "done" = "first";
    const unsubscribe = phone.subscribe(() => {
      const done = phone.status().progress?.done ?? 0;
      if (phase === "first" && done >= 10) {
        phase = "armed-reply";
        proxy.cutOnNextReply();
      } else if (phase === "second" && proxy.stats.accepted >= 2 && done >= 10 && phone.queueItems().some((q) => phone.syncState(q.entityId) === "syncing")) {
        phase = "done";
        proxy.cut();
      }
    });
    cleanups.add(unsubscribe);
    proxy.onChange(() => {
      if (phase === "armed-reply" && proxy.stats.cuts === 1) phase = "second";
    });

    phone.setActive(true); // the foreground sync starts pushing; reconnects are the scheduler's
    await waitFor(phone, () => phase === "done");
    expect(proxy.stats.dropped.down).toBeGreaterThan(0); // a reply really was lost
    await settled(phone);

    expect(proxy.stats.cuts).toBe(2);
    expect(proxy.stats.accepted).toBeGreaterThanOrEqual(3); // it reconnected twice, by itself
    expect(phone.conflicts()).toEqual([]);
    expect(phone.status().lastError).toBeNull();
    for (const item of phone.queueItems()) expect(item).toMatchObject({ status: "synced", version: 1, lastError: null });
    await expectStoredOnce(db.schema, ids, 1);
    await expectOtherDeviceSees(relay, ids);
  });
});

describe("a link that swallows every byte without closing", () => {
  it("times requests out as UNAVAILABLE, keeps the items pending, and finishes once the link heals", async () => {
    const { db, relay, proxy } = await rig();
    const phone = await openTestDevice(cleanups, "phone", proxy.syncUrl, { requestTimeoutMs: 500 });
    const before = await logWorkouts(phone, "Before", 3);
    await phone.syncNow(); // connected, and stays so

    proxy.blackhole();
    const during = await logWorkouts(phone, "During", 20);
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    const pending = phone.queueItems().filter((q) => q.status !== "synced");
    expect(pending.map((q) => q.entityId).sort()).toEqual([...during].sort());
    for (const item of pending) expect(item).toMatchObject({ status: "pending", retryCount: 1, lastError: { code: "UNAVAILABLE" } });
    expect(phone.status()).toMatchObject({ queueDepth: 20, lastError: { code: "UNAVAILABLE" } });
    expect(proxy.stats.dropped.up).toBeGreaterThan(0);
    expect((await relayRows(db.schema)).length).toBe(3);

    // The device tries again by itself (the foreground trigger, then reconnects with back-off);
    // one attempt opens a new connection into the blackhole before the link heals. Its handshake
    // gets no answer, ever: the device must give up on it by itself.
    phone.setActive(true);
    await proxy.waitFor((s) => s.accepted >= 2);
    proxy.pass();
    await guard(settled(phone), 15_000, () => `the link healed but the device did not finish: ${JSON.stringify({ status: phone.status(), proxy: proxy.stats })}`);

    expect(phone.status().lastError).toBeNull();
    for (const item of phone.queueItems()) expect(item).toMatchObject({ status: "synced", version: 1, lastError: null, retryCount: 0 });
    await expectStoredOnce(db.schema, [...before, ...during], 1);
    await expectOtherDeviceSees(relay, [...before, ...during]);
  });
});

describe("a slow link", () => {
  it("with every byte held 60 ms each way, edits made while syncs are in flight converge on both devices without duplicates", async () => {
    const { db, relay, proxy } = await rig();
    proxy.delay(60);
    const phone = await openTestDevice(cleanups, "phone", proxy.syncUrl, { syncOnChange: true, maxBatchItems: 5 });
    const tablet = await openTestDevice(cleanups, "tablet", relay.syncUrl, { syncOnChange: true });
    phone.setActive(true);
    tablet.setActive(true);
    await waitFor(phone, () => phone.status().online);
    await waitFor(tablet, () => tablet.status().online);

    // Every change syncs right away over the slow link; later ones coalesce behind the run in flight.
    const phoneIds = await logWorkouts(phone, "Phone", 20);
    for (const [i, id] of phoneIds.entries()) {
      await phone.update<"workout">(id, (w) => {
        w.notes = `edited ${i}`;
      });
    }
    const tabletIds = await logWorkouts(tablet, "Tablet", 5);
    const all = [...phoneIds, ...tabletIds];

    await settled(phone);
    await settled(tablet);
    // Fan-out brings each side the other's workouts, the phone's over the slow link.
    await waitFor(phone, () => phone.list("workout").length === all.length);
    await waitFor(tablet, async () => (await Promise.all(phoneIds.map((id) => tablet.get<"workout">(id)))).every((w, i) => w?.payload.notes === `edited ${i}`));

    expect(proxy.stats.forwarded.up).toBeGreaterThan(0);
    expect(phone.conflicts()).toEqual([]);
    expect(tablet.conflicts()).toEqual([]);
    for (const device of [phone, tablet]) {
      const listed = device.list("workout").map((w) => w.id);
      expect(repeated(listed)).toEqual([]);
      expect(listed.sort()).toEqual([...all].sort());
    }
    await expectStoredOnce(db.schema, all);
    const rows = await relayRows(db.schema);
    for (const row of rows) {
      const onPhone = phone.list("workout").find((w) => w.id === row.entityId);
      expect(onPhone?.serverVersion).toBe(row.version);
      expect(row.version).toBeGreaterThanOrEqual(1);
      expect(row.version).toBeLessThanOrEqual(2); // created, then at most one more push of the edit
    }
  });

  it("a request held past the device's timeout is committed late; the device's retry finds it stored and adds nothing", async () => {
    const { db, relay, proxy } = await rig();
    const tablet = await openTestDevice(cleanups, "tablet", relay.syncUrl);
    await tablet.syncNow(); // connected: the relay's fan-out shows when the late batch is stored
    const dir = tempDir("phone");
    cleanups.add(() => dir.remove());
    const phone = await openTestDevice(cleanups, "phone", proxy.syncUrl, { requestTimeoutMs: 500, dataDir: dir.path });
    await phone.syncNow(); // connected before the link slows down

    proxy.delay(1_500);
    const ids = await logWorkouts(phone, "Late", 10);
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(phone.queueItems().filter((q) => q.status === "pending")).toHaveLength(10);
    // The app is closed before its scheduler tries again; the held request still reaches the relay.
    await phone.close();
    await waitFor(tablet, () => tablet.list("workout").length === 10);
    expect((await relayRows(db.schema)).map((r) => r.version)).toEqual(Array(10).fill(1));

    proxy.pass();
    const reopened = await openTestDevice(cleanups, "phone-again", proxy.syncUrl, { dataDir: dir.path });
    expect(reopened.status().queueDepth).toBe(10);
    const report = await reopened.syncNow();
    expect(report).toMatchObject({ pushed: 0, conflicts: 0, errors: 0 });
    expect(reopened.status().queueDepth).toBe(0);
    for (const item of reopened.queueItems()) expect(item).toMatchObject({ status: "synced", version: 1 });
    await expectStoredOnce(db.schema, ids, 1);
  });
});
