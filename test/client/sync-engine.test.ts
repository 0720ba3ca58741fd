// The sync engine's policy under a fake clock, with no socket: the device talks over the
// in-memory transport to a scripted relay in this file (the engine's injected send), which
// answers, holds or refuses each frame as a test says. Requests time out only when the fake
// clock moves.
import "fake-indexeddb/auto";
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { IronFlowClient, type IronFlowClient as Client } from "../../client/core/index.js";
import { memoryTransport } from "../../client/core/transport/memory-pair.js";
import { Code, SyncStatus, type RelayBodyInit } from "../../schema/protocol/frames.js";
import { ScriptedRelay } from "../support/scripted-relay.js";
import { openScriptedDevice } from "../support/scripted-device.js";
import { offlineAuthApi, scriptedSession } from "../support/accounts.js";
import { FakeClock } from "../support/fake-clock.js";
import { workout } from "../support/devices.js";

const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

let stores = 0;
async function device(relay: ScriptedRelay, clock: FakeClock, options: { syncOnChange?: boolean; maxBatchItems?: number } = {}): Promise<Client> {
  const client = await openScriptedDevice(new IndexedDBStorageAdapter(`engine-test-${++stores}`), relay, {
    timers: clock,
    requestTimeoutMs: 5_000,
    syncOnChange: options.syncOnChange ?? false,
    maxBatchItems: options.maxBatchItems,
  });
  clients.push(client);
  return client;
}

async function logWorkouts(client: Client, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = workout(`W${i}`, [{ name: "Squat", sets: [[5, 100]] }]);
    ids.push(await client.create("workout", { ...payload, startedAt: payload.startedAt + i * 3_600_000 }));
  }
  return ids;
}

/** Resolves once every turn already queued has run (frames on the in-memory link, their handlers). */
function drained(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once the client's state satisfies `predicate` (checked on every client event). */
function until(client: Client, predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!predicate()) return;
      stop();
      resolve();
    };
    const stop = client.subscribe(check);
    check();
  });
}

/**
 * Holds the relay's answers to sync requests (hello, pull and ping are answered) until released;
 * afterwards it answers at once. `answer` makes each sync answer, the usual one by default.
 */
function holdSyncReplies(relay: ScriptedRelay, answer: (frame: Parameters<ScriptedRelay["answer"]>[0]) => RelayBodyInit = (frame) => relay.ok(frame)): { release(): void } {
  let held: (() => void)[] | undefined = [];
  relay.answer = (frame, reply) => {
    if (frame.body.case !== "sync") {
      reply(relay.ok(frame));
      return;
    }
    const respond = () => reply(answer(frame));
    if (held) held.push(respond);
    else respond();
  };
  return {
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const respond of waiting) respond();
    },
  };
}

describe("the sync engine's policy", () => {
  it("pushes in batches of the size the relay announced, workouts before statistics", async () => {
    const relay = new ScriptedRelay();
    relay.maxBatchItems = 2;
    const phone = await device(relay, new FakeClock());
    await phone.create("volume", { weekStart: "2026-11-16", muscleGroups: { legs: { sets: 3 } } });
    await logWorkouts(phone, 3);
    const report = await phone.syncNow();
    expect(report.pushed).toBe(4);
    expect(relay.syncBatches()).toEqual([["workout", "workout"], ["workout", "volume"]]);
  });

  it("a request that gets no reply fails after the request timeout on the fake clock, and the item is retried at 30 s", async () => {
    const relay = new ScriptedRelay();
    const clock = new FakeClock(Date.UTC(2026, 10, 25, 12), [0.5]);
    const phone = await device(relay, clock);
    const [id] = await logWorkouts(phone, 1);
    relay.answer = (frame, reply) => {
      if (frame.body.case !== "sync") reply(relay.ok(frame));
    };
    const run = phone.syncNow().then(
      () => undefined,
      (err: unknown) => err,
    );
    await until(phone, () => phone.syncState(id!) === "syncing");
    expect(phone.status().lastError).toBeNull();
    clock.advance(5_000);
    expect(await run).toMatchObject({ code: Code.UNAVAILABLE });
    expect(phone.queueItems()[0]).toMatchObject({ status: "pending", retryCount: 1, nextAttemptAt: clock.now() + 30_000 });
  });

  it("syncs asked for during a run coalesce into one more run", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay, new FakeClock());
    await logWorkouts(phone, 1);
    relay.holding = true;
    const runs = [phone.syncNow(), phone.syncNow(), phone.syncNow()];
    await relay.received("hello"); // the first run waits for its welcome
    relay.release();
    await Promise.all(runs);
    expect(relay.count("hello")).toBe(1);
    expect(relay.count("pull")).toBe(2);
  });

  it("a change saved while the connection is being set up is pushed right after, with no timer", async () => {
    const relay = new ScriptedRelay();
    const clock = new FakeClock();
    const phone = await device(relay, clock, { syncOnChange: true });
    relay.holding = true;
    const online = phone.networkOnline();
    await relay.received("hello");
    const [id] = await logWorkouts(phone, 1);
    relay.release();
    await online;
    await until(phone, () => phone.syncState(id!) === "synced"); // the fake clock never moved
  });

  it("an expired session is authenticated again once, and the batch sent again on it", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay, new FakeClock());
    await logWorkouts(phone, 1);
    let refused = false;
    relay.answer = (frame, reply) => {
      if (frame.body.case === "sync" && !refused) {
        refused = true;
        reply({ case: "error", value: { code: Code.UNAUTHENTICATED, message: "token expired" } });
      } else reply(relay.ok(frame));
    };
    expect((await phone.syncNow()).pushed).toBe(1);
    expect(relay.count("hello")).toBe(2);
    expect(relay.count("sync")).toBe(2);
  });

  it("keeps two batches on the wire, never a third, and pushes them all", async () => {
    const relay = new ScriptedRelay();
    relay.maxBatchItems = 2;
    const phone = await device(relay, new FakeClock());
    await logWorkouts(phone, 6);
    const held = holdSyncReplies(relay);
    const run = phone.syncNow();
    await relay.received("sync", 2);
    for (let turn = 0; turn < 5; turn++) await drained();
    expect(relay.count("sync")).toBe(2);
    held.release();
    expect((await run).pushed).toBe(6);
    expect(relay.syncBatches()).toHaveLength(3);
  });

  it("two batches refused on an expired session: authenticated again once, and both sent again on the new one", async () => {
    const relay = new ScriptedRelay();
    relay.maxBatchItems = 2;
    const phone = await device(relay, new FakeClock());
    await logWorkouts(phone, 4);
    let refusals = 0;
    const held = holdSyncReplies(relay, (frame) => {
      if (refusals === 2) return relay.ok(frame);
      refusals += 1;
      return { case: "error", value: { code: Code.UNAUTHENTICATED, message: "token expired" } };
    });
    const run = phone.syncNow();
    await relay.received("sync", 2);
    held.release();
    expect((await run).pushed).toBe(4);
    expect(relay.count("hello")).toBe(2);
    expect(relay.count("sync")).toBe(4);
  });

  it("an item the relay refuses is flagged for review, not retried, and does not hold back the others", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay, new FakeClock());
    const [bad, good] = await logWorkouts(phone, 2);
    relay.answer = (frame, reply) => {
      const ok = relay.ok(frame);
      if (ok.case === "sync") {
        ok.value.results = ok.value.results!.map((r) =>
          r.entityId === bad ? { entityId: bad, status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT, errorMessage: "weight must be a number" } : r,
        );
      }
      reply(ok);
    };
    const report = await phone.syncNow();
    expect(report).toMatchObject({ pushed: 1, errors: 1 });
    expect(phone.syncState(bad!)).toBe("needs_attention");
    expect(phone.syncState(good!)).toBe("synced");
    expect((await phone.syncNow()).pushed).toBe(0); // not retried in a loop
  });
});

describe("the relay reachable again", () => {
  it("a run that connects after the relay could not be reached pushes the items that failed meanwhile, not at their retry time", async () => {
    const relay = new ScriptedRelay();
    const clock = new FakeClock();
    const transport = memoryTransport((far) => relay.accept(far));
    const phone = await IronFlowClient.open({ storage: new IndexedDBStorageAdapter(`engine-test-${++stores}`), transport, auth: { api: offlineAuthApi, session: scriptedSession() }, deviceName: "phone", timers: clock, syncOnChange: false });
    clients.push(phone);
    const [id] = await logWorkouts(phone, 1);
    transport.setReachable(false);
    await phone.syncNow().catch(() => undefined);
    expect(phone.queueItems()[0]).toMatchObject({ retryCount: 1 });
    transport.setReachable(true);
    phone.setActive(true); // the app comes to the foreground: nothing is due for 30 s
    await until(phone, () => phone.syncState(id!) === "synced");
    expect(relay.count("sync")).toBe(1);
  });
});

describe("the heartbeat", () => {
  it("a connection that goes silent is pinged, and declared offline when the ping is not answered", async () => {
    const relay = new ScriptedRelay();
    const clock = new FakeClock();
    const phone = await device(relay, clock);
    await phone.syncNow();
    expect(phone.status().online).toBe(true);
    // Quiet but alive: the ping is answered and the connection stays.
    clock.advance(5_000);
    await relay.received("ping", 1);
    await drained(); // the pong reaches the device (the in-memory link delivers on later turns)
    expect(phone.status().online).toBe(true);
    // The network goes: nothing is answered any more.
    relay.answer = () => undefined;
    clock.advance(5_000);
    await relay.received("ping", 2);
    clock.advance(5_000);
    await until(phone, () => !phone.status().online);
  });

  it("no ping while a request is on its way: its own deadline covers it", async () => {
    const relay = new ScriptedRelay();
    const clock = new FakeClock();
    const phone = await device(relay, clock);
    await phone.syncNow();
    await logWorkouts(phone, 1);
    relay.answer = (frame, reply) => {
      if (frame.body.case !== "sync") reply(relay.ok(frame));
    };
    const run = phone.syncNow().catch(() => undefined);
    await relay.received("sync");
    clock.advance(4_900); // under the request deadline (5 s here), past the heartbeat
    expect(relay.count("ping")).toBe(0);
    clock.advance(200);
    await run;
  });
});

describe("closing", () => {
  it("a device closed while its connection is being set up keeps no session: nothing is pushed or pulled after close", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay, new FakeClock(), { syncOnChange: false });
    await logWorkouts(phone, 1);
    relay.holding = true;
    const run = phone.syncNow().then(
      () => undefined,
      (err: unknown) => err,
    );
    await relay.received("hello");
    const closed = phone.close();
    relay.release(); // the welcome arrives after close was asked for
    await closed;
    expect(await run).toMatchObject({ code: Code.UNAVAILABLE });
    await drained();
    expect(relay.count("sync")).toBe(0);
    expect(relay.count("pull")).toBe(0);
  });
});

describe("protocol versions", () => {
  it("a relay of the previous release refuses the version range: the device says hello again on version 1, and syncs without pings", async () => {
    const relay = new ScriptedRelay();
    const clock = new FakeClock();
    relay.answer = (frame, reply) => {
      if (frame.body.case === "hello" && frame.body.value.protocolVersion !== 1) {
        reply({ case: "error", value: { code: Code.UNIMPLEMENTED, message: "protocol version 2 is not supported; this relay speaks 1" } });
        return;
      }
      const ok = relay.ok(frame);
      if (ok.case === "welcome") ok.value.protocolVersion = 1;
      reply(ok);
    };
    const phone = await device(relay, clock);
    await logWorkouts(phone, 1);
    expect((await phone.syncNow()).pushed).toBe(1);
    expect(relay.count("hello")).toBe(2);
    clock.advance(60_000);
    expect(relay.count("ping")).toBe(0);
  });
});
