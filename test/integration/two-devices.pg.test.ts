// The backbone end to end: devices with file storage, a real relay on loopback, a real
// Postgres (and PGlite), real Automerge.
import { afterEach, describe, expect, it } from "vitest";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { spawn } from "node:child_process";
import { openNodeClient } from "../../client/node/open-node-client.js";
import { openDevice, tempDir, waitFor, workout, type TestDevice } from "../support/devices.js";
import { freshPgStore } from "../support/databases.js";
import type { RelayStore } from "../../relay/store/store.js";
import { join } from "node:path";
import * as A from "@automerge/automerge";
import type { EntityRecord } from "../../client/core/entities/entity-record.js";
import { EncryptedStorage } from "../../client/core/storage/encrypted-storage.js";
import { RecordStore } from "../../client/core/storage/record-store.js";
import { FileStorage } from "../../client/node/file-storage.js";
import { storageKeyFromFile } from "../../client/node/storage-key.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relayOn(store: RelayStore, port = 0): Promise<Relay> {
  const relay = await startTestRelay({ store, port });
  cleanups.push(() => relay.close().catch(() => undefined));
  return relay;
}

async function device(name: string, url: string, userId = "user-1"): Promise<TestDevice> {
  const d = await openDevice(name, url, userId);
  cleanups.push(() => d.close());
  return d;
}

describe("two devices of one person, through the relay and Postgres", () => {
  it("a workout logged offline on A reaches B once A comes online, and B's edit reaches A", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    // Both devices sign in; then the relay goes away, to come back on the same port later.
    const first = await startTestRelay({ store: db.store });
    const port = first.port;
    const url = `ws://127.0.0.1:${port}/sync`;
    const a = await device("phone", url);
    const b = await device("tablet", url);
    await first.close().catch(() => undefined);
    const db2 = await db.reopen();
    const id = await a.client.create("workout", workout("Push day", [{ name: "Bench Press", sets: [[5, 100], [5, 100], [5, 100]] }]));
    expect(a.client.syncState(id)).toBe("saved_on_device");
    await expect(a.client.syncNow()).rejects.toMatchObject({ code: 14 }); // UNAVAILABLE: no relay
    expect(a.client.queueItems()).toMatchObject([{ entityId: id, status: "pending", operation: "create", retryCount: 1 }]);

    await relayOn(db2, port);
    const pushed = await a.client.syncNow();
    expect(pushed.pushed).toBe(1);
    expect(a.client.syncState(id)).toBe("synced");

    await b.client.syncNow();
    const onB = await b.client.get<"workout">(id);
    expect(onB?.payload.exercises[0]?.sets).toHaveLength(3);
    expect(b.client.list("workout").map((w) => w.title)).toEqual(["Push day"]);

    await b.client.update<"workout">(id, (w) => {
      w.exercises[0]!.sets.push({ id: "set-b1", reps: 3, weight: 105, unit: "kg", rpe: 9, completed: true });
    });
    // A stays connected after its sync: the relay's fan-out brings B's edit without a pull.
    await waitFor(a.client, async () => (await a.client.get<"workout">(id))?.payload.exercises[0]?.sets.length === 4);
    await waitFor(b.client, () => b.client.syncState(id) === "synced");
    const onA = await a.client.get<"workout">(id);
    expect(onA?.payload.exercises[0]?.sets[3]).toMatchObject({ reps: 3, weight: 105, rpe: 9 });
  });
});

describe("a live change on the other device", () => {
  it("is stored there in one record write with the relay's version and the heads it brought", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await relayOn(db.store);
    const a = await device("phone", relay.syncUrl);
    const b = await device("tablet", relay.syncUrl);
    const id = await a.client.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }]));
    await a.client.syncNow();
    await b.client.syncNow();
    expect((await b.client.get<"workout">(id))?.payload.exercises[0]?.sets).toHaveLength(1);

    // A's edit reaches B through the relay's fan-out (B stays connected; no pull).
    await a.client.update<"workout">(id, (w) => {
      w.exercises[0]!.sets.push({ id: "live-set", reps: 5, weight: 105, unit: "kg", rpe: 8, completed: true });
    });
    await waitFor(b.client, async () => (await b.client.get<"workout">(id))?.payload.exercises[0]?.sets.length === 2);
    await b.client.close();

    // What B stored: its record names the relay's version and the heads the document holds.
    const storage = new EncryptedStorage(new FileStorage(join(b.dataDir, "store")), await storageKeyFromFile(join(b.dataDir, "storage.key")));
    const record = await new RecordStore<EntityRecord>(storage, "entity").get(id);
    const chunks = await storage.loadRange([id]);
    const stored = A.load(Buffer.concat(chunks.flatMap((c) => (c.data ? [c.data] : []))));
    expect(record).toMatchObject({ serverVersion: 2, syncedHeads: A.getHeads(stored) });
    A.free(stored);
  });
});

describe("nothing reported saved is lost", () => {
  it("a device killed with SIGKILL mid-way keeps every workout it reported saved, and syncs them", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await relayOn(db.store);
    const dir = tempDir("killed");
    cleanups.push(() => {
      dir.remove();
    });
    const child = spawn(process.execPath, ["--import", "tsx", "test/support/device-process.ts", dir.path, relay.syncUrl, "200"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const saved: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let buffer = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffer += chunk.toString();
        const lines = buffer.split("\n");
        buffer = lines.pop()!;
        for (const line of lines) if (line.startsWith("saved ")) saved.push(line.slice(6));
        if (saved.length >= 15 && !child.killed) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.once("exit", (code) => (saved.length >= 15 ? resolve() : reject(new Error(`device exited early (${code})`))));
    });
    await new Promise((resolve) => child.once("close", resolve));

    const reopened = await openNodeClient({ dataDir: dir.path, relayUrl: relay.syncUrl, deviceName: "killed-phone" });
    cleanups.push(() => reopened.close());
    const ids = new Set(reopened.list("workout").map((w) => w.id));
    for (const id of saved) expect(ids.has(id)).toBe(true);
    for (const id of saved) expect((await reopened.get<"workout">(id))?.payload.exercises[0]?.sets).toHaveLength(3);

    await reopened.syncNow();
    const other = await device("tablet", relay.syncUrl);
    await other.client.syncNow();
    const onOther = new Set(other.client.list("workout").map((w) => w.id));
    for (const id of saved) expect(onOther.has(id)).toBe(true);
  });

  it("the relay restarted between pushes loses nothing and devices reconnect by themselves", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    let relay = await startTestRelay({ store: db.store });
    const port = relay.port;
    const a = await device("phone", relay.syncUrl);
    const first = await a.client.create("workout", workout("Monday", [{ name: "Row", sets: [[8, 60]] }]));
    await a.client.syncNow();

    await relay.close();
    relay = await relayOn(await db.reopen(), port);
    const second = await a.client.create("workout", workout("Wednesday", [{ name: "Press", sets: [[5, 50]] }]));
    await a.client.update<"workout">(first, (w) => {
      w.exercises[0]!.sets.push({ id: "late-set", reps: 8, weight: 62.5, unit: "kg", rpe: 8, completed: true });
    });
    const report = await a.client.syncNow();
    expect(report.pushed).toBe(2);

    const b = await device("tablet", relay.syncUrl);
    await b.client.syncNow();
    expect((await b.client.get<"workout">(first))?.payload.exercises[0]?.sets.map((s) => s.weight)).toEqual([60, 62.5]);
    expect((await b.client.get<"workout">(second))?.payload.title).toBe("Wednesday");
  });
});

describe("a version conflict between two devices", () => {
  it("is kept as status conflict with both sides stored, and concurrent edits never overwrite each other", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await relayOn(db.store);
    const a = await device("phone", relay.syncUrl);
    const b = await device("tablet", relay.syncUrl);
    const id = await a.client.create("workout", workout("Pull day", [{ name: "Chin-up", sets: [[8, 0]] }]));
    await a.client.syncNow();
    await b.client.syncNow();
    a.client.goOffline();
    b.client.goOffline();
    await a.client.update<"workout">(id, (w) => {
      w.title = "Pull day (phone)";
    });
    await b.client.update<"workout">(id, (w) => {
      w.title = "Pull day (tablet)";
    });
    await a.client.syncNow();
    const report = await b.client.syncNow();
    expect(report.conflicts).toBe(1);
    const [conflict] = b.client.conflicts();
    expect(conflict?.conflict).toMatchObject({
      serverVersion: 2,
      serverData: { payload: { title: "Pull day (phone)" } },
      localData: { payload: { title: "Pull day (tablet)" } },
    });
    expect(b.client.syncState(id)).toBe("conflict");
    // The relay still holds the phone's version: the tablet's edit was not forced over it.
    const c = await device("laptop", relay.syncUrl);
    await c.client.syncNow();
    expect((await c.client.get<"workout">(id))?.payload.title).toBe("Pull day (phone)");
  });
});
