// Two relay processes' worth of relays (two SyncServices, two document caches) on one Postgres.
// A relay's cached document falls behind when the other relay stores a newer version; Postgres
// is the only authority, so the stale copy must never answer a push (issue 18's regression).
import { afterEach, describe, expect, it } from "vitest";
import { openPgStore } from "../../relay/store/pg-store.js";
import { startTestRelay } from "../support/accounts.js";
import { databaseUrl, freshPgStore } from "../support/databases.js";
import { openDevice, workout, type TestDevice } from "../support/devices.js";
import type { Relay } from "../../relay/server.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function twoRelaysOnOneDatabase(): Promise<[Relay, Relay]> {
  const db = await freshPgStore();
  cleanups.push(db.close);
  const a = await startTestRelay({ store: db.store });
  const b = await startTestRelay({ store: await openPgStore(databaseUrl, { searchPath: db.schema }) });
  cleanups.push(() => a.close().catch(() => undefined), () => b.close().catch(() => undefined));
  return [a, b];
}

async function device(name: string, url: string): Promise<TestDevice> {
  const d = await openDevice(name, url, "lifter");
  cleanups.push(() => d.close());
  return d;
}

describe("two relays on one database: a relay's cache never decides a version", () => {
  it("an up-to-date edit through the relay whose cached copy fell behind is stored, not refused as from the future", async () => {
    const [a, b] = await twoRelaysOnOneDatabase();
    const phone = await device("phone", a.syncUrl);
    const tablet = await device("tablet", b.syncUrl);

    const id = await phone.client.create("workout", workout("Leg day", [{ name: "Squat", sets: [[5, 100]] }]));
    await phone.client.syncNow(); // relay A now caches version 1
    await tablet.client.syncNow();
    await tablet.client.update<"workout">(id, (w) => {
      w.title = "Leg day (heavy)";
    });
    await tablet.client.syncNow(); // version 2, stored through relay B; A's copy is still 1
    expect(tablet.client.queueItems().find((q) => q.entityId === id)).toMatchObject({ status: "synced", version: 2 });

    await phone.client.syncNow(); // the phone pulls version 2 (pulls read Postgres)
    await phone.client.update<"workout">(id, (w) => {
      w.notes = "felt strong";
    });
    const report = await phone.client.syncNow();
    expect(report).toMatchObject({ errors: 0, conflicts: 0 });
    expect(phone.client.queueItems().find((q) => q.entityId === id)).toMatchObject({ status: "synced", version: 3, lastError: null });

    await tablet.client.syncNow();
    expect((await tablet.client.get<"workout">(id))?.payload).toMatchObject({ title: "Leg day (heavy)", notes: "felt strong" });
  });
});
