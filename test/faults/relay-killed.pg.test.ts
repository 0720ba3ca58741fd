// The relay process killed with SIGKILL in the middle of a device's big push, twice: once as a
// batch reaches it, once after it committed a batch but before its reply reached the device.
// Each time it is started again on the same port and database. Postgres, read directly, must end
// up holding every workout exactly once, including every one the device saw acknowledged.
// The device keeps two batches on the wire, so a kill finds one or two in flight (and maybe the
// rest of a batch whose answer is being stored); each is stored whole or not at all. A run's
// batches are its pending items in queue order (oldest first), BATCH at a time.
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import type { IronFlowClient } from "../../client/core/index.js";
import { Cleanups, logWorkouts, openTestDevice, relayRows, repeated, settled } from "./fixtures.js";
import { freshRelaySchema, startRelayProcess, type RelayProcess } from "./relay-process.js";
import { freePort } from "../support/ports.js";
import { TcpProxy } from "./tcp-proxy.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const WORKOUTS = 300;
const BATCH = 25;

function acknowledged(client: IronFlowClient): Set<string> {
  return new Set(client.queueItems().flatMap((q) => (q.status === "synced" ? [q.entityId] : [])));
}

function syncing(client: IronFlowClient, ids: string[]): string[] {
  return ids.filter((id) => client.syncState(id) === "syncing");
}

describe("the relay process killed with SIGKILL in the middle of a batch", () => {
  it("loses nothing the device saw acknowledged, and stores each of 300 workouts exactly once after restarts", async () => {
    const schema = await freshRelaySchema();
    cleanups.add(() => schema.drop());
    const port = await freePort();
    let relay: RelayProcess = await startRelayProcess({ databaseUrl: schema.url, port });
    cleanups.add(() => relay.stop());
    // The proxy only watches here (pass-through): it tells the moment a request reaches the relay
    // and the moment a reply leaves it.
    const proxy = await TcpProxy.open({ port });
    cleanups.add(() => proxy.close());
    const phone = await openTestDevice(cleanups, "phone", proxy.syncUrl, { maxBatchItems: BATCH });
    const ids = await logWorkouts(phone, "Session", WORKOUTS);
    const firstRun = batchesOf(ids);
    const kills: { acknowledged: Set<string>; inFlight: string[] }[] = [];

    // Kill 1: once two batches are acknowledged, the relay dies the moment the next batch reaches it.
    const unsubscribe = phone.subscribe(() => {
      if (acknowledged(phone).size < 2 * BATCH) return;
      unsubscribe();
      proxy.onNextRequest(() => {
        kills.push({ acknowledged: acknowledged(phone), inFlight: syncing(phone, ids) });
        relay.killNow();
      });
    });
    cleanups.add(unsubscribe);
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await relay.exited;
    expect(proxy.stats.dropped.down).toBe(0);
    expect(kills).toHaveLength(1);
    expect(kills[0]!.inFlight.length).toBeGreaterThan(0);
    expect(kills[0]!.inFlight.length).toBeLessThanOrEqual(2 * BATCH);
    await expectStored(schema.name, kills[0]!.acknowledged);
    // One transaction per batch: each batch the relay died with is stored whole or not at all.
    for (const batch of touching(firstRun, kills[0]!.inFlight)) expect([0, BATCH]).toContain(await storedAmong(schema.name, batch));

    // Kill 2: on the next connection, once two more batches are acknowledged, the relay commits
    // the next batch and dies as its reply leaves; the device never hears the reply.
    relay = await startRelayProcess({ databaseUrl: schema.url, port });
    const before = acknowledged(phone).size;
    const secondRun = batchesOf(ids.filter((id) => !acknowledged(phone).has(id)));
    const unsubscribe2 = phone.subscribe(() => {
      if (acknowledged(phone).size < before + 2 * BATCH) return;
      unsubscribe2();
      proxy.cutOnNextReply(() => {
        kills.push({ acknowledged: acknowledged(phone), inFlight: syncing(phone, ids) });
        relay.killNow();
      });
    });
    cleanups.add(unsubscribe2);
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await relay.exited;
    expect(proxy.stats.dropped.down).toBeGreaterThan(0); // the reply was on its way
    expect(kills).toHaveLength(2);
    await expectStored(schema.name, kills[1]!.acknowledged);
    const inFlight = touching(secondRun, kills[1]!.inFlight);
    for (const batch of inFlight) expect([0, BATCH]).toContain(await storedAmong(schema.name, batch));
    // The batch whose reply was cut: committed, never acknowledged, still pending on the device.
    const pending = (id: string) => phone.queueItems().find((q) => q.entityId === id)?.status === "pending";
    const cut = [];
    for (const batch of inFlight) if ((await storedAmong(schema.name, batch)) === BATCH && batch.every(pending)) cut.push(batch);
    expect(cut.length).toBeGreaterThanOrEqual(1); // (the other batch in flight may have committed too)

    // Back for good: the device pushes the rest; the committed-but-unacknowledged batch is
    // recognised by history (no conflict, no second version).
    relay = await startRelayProcess({ databaseUrl: schema.url, port });
    const report = await phone.syncNow();
    expect(report).toMatchObject({ conflicts: 0, errors: 0 });
    await settled(phone);

    const rows = await relayRows(schema.name);
    expect(rows).toHaveLength(WORKOUTS);
    expect(repeated(rows.map((r) => r.entityId))).toEqual([]);
    expect(repeated(rows.map((r) => r.title))).toEqual([]);
    expect(repeated(rows.map((r) => r.cursor))).toEqual([]);
    expect(rows.map((r) => r.entityId).sort()).toEqual([...ids].sort());
    for (const row of rows) expect(row).toMatchObject({ entityType: "workout", version: 1, docId: row.entityId });
    for (const kill of kills) await expectStored(schema.name, kill.acknowledged);
    for (const item of phone.queueItems()) expect(item).toMatchObject({ status: "synced", version: 1, lastError: null });
    for (const entry of phone.list("workout")) expect(entry.serverVersion).toBe(1);
    expect(phone.conflicts()).toEqual([]);

    const tablet = await openTestDevice(cleanups, "tablet", relay.syncUrl);
    await tablet.syncNow();
    expect(tablet.list("workout").map((w) => w.id).sort()).toEqual([...ids].sort());
  }, 180_000); // two SIGKILLs, two restarts and 300 workouts: over a minute on a loaded two-core machine
});

/** Every id in `ids` has a row in Postgres. */
async function expectStored(schema: string, ids: Set<string>): Promise<void> {
  const stored = new Set((await relayRows(schema)).map((r) => r.entityId));
  expect([...ids].filter((id) => !stored.has(id))).toEqual([]);
}

/** A run's batches: its pending items in queue order, BATCH at a time. */
function batchesOf(pendingInOrder: string[]): string[][] {
  const batches: string[][] = [];
  for (let i = 0; i < pendingInOrder.length; i += BATCH) batches.push(pendingInOrder.slice(i, i + BATCH));
  return batches;
}

/** The batches holding any of `ids`. */
function touching(batches: string[][], ids: string[]): string[][] {
  return batches.filter((batch) => batch.some((id) => ids.includes(id)));
}

async function storedAmong(schema: string, ids: string[]): Promise<number> {
  const stored = new Set((await relayRows(schema)).map((r) => r.entityId));
  return ids.filter((id) => stored.has(id)).length;
}
