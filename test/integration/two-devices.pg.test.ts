// The backbone end to end: devices with file storage, a real relay on loopback, a real
// Postgres (and PGlite), real Automerge.
import { afterEach, describe, expect, it } from "vitest";
import { startRelay, type Relay } from "../../relay/server.js";
import { openDevice, waitFor, workout, type TestDevice } from "../support/devices.js";
import { freshPgStore } from "../support/databases.js";
import type { RelayStore } from "../../relay/store/store.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relayOn(store: RelayStore, port = 0): Promise<Relay> {
  const relay = await startRelay({ store, port });
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
    // A relay that is not running yet: reserve a port, then start on it later.
    const probe = await startRelay({ store: db.store });
    const port = probe.port;
    await probe.close().catch(() => undefined);
    const db2 = await db.reopen();
    const url = `ws://127.0.0.1:${port}/sync`;

    const a = await device("phone", url);
    const b = await device("tablet", url);
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
    expect(b.client.syncState(id)).toBe("synced");
    const onA = await a.client.get<"workout">(id);
    expect(onA?.payload.exercises[0]?.sets[3]).toMatchObject({ reps: 3, weight: 105, rpe: 9 });
  });
});
