// Two relay processes' worth of relays (two SyncServices, two document caches) on one Postgres.
// A relay's cached document falls behind when the other relay stores a newer version; Postgres
// is the only authority, so the stale copy must never answer a push (issue 18's regression).
import { afterEach, describe, expect, it } from "vitest";
import { openPgStore } from "../../relay/store/pg-store.js";
import { startTestRelay } from "../support/accounts.js";
import { databaseUrl, freshPgStore } from "../support/databases.js";
import { openDevice, workout, type TestDevice } from "../support/devices.js";
import * as A from "@automerge/automerge";
import { Operation, SyncStatus, type SyncResult } from "../../schema/protocol/frames.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
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

async function pushed(socket: RawRelaySocket, entityId: string, data: Uint8Array, version: number): Promise<SyncResult | undefined> {
  const reply = await socket.request({ case: "sync", value: { items: [{ entityType: "workout", entityId, operation: version === 0 ? Operation.CREATE : Operation.UPDATE, data, version }] } });
  if (reply.body.case !== "sync") throw new Error(`sync answered with ${reply.body.case}`);
  return reply.body.value.results[0];
}

describe("two relays on one database: a write that loses the race to the other relay", () => {
  it("is answered with the version the other relay stored, and that version goes out to this relay's devices", async () => {
    // Fan-out here is within each relay only: what B stores reaches A's devices by a pull, or
    // when A answers a conflict with it (SyncService.publishAgain).
    const [a, b] = await twoRelaysOnOneDatabase();
    const phone = await RawRelaySocket.hello(a.syncUrl, "lifter", "phone");
    const tablet = await RawRelaySocket.hello(b.syncUrl, "lifter", "tablet");
    const watch = await RawRelaySocket.hello(a.syncUrl, "lifter", "watch");
    cleanups.push(() => phone.close(), () => tablet.close(), () => watch.close());

    const id = idFor("raced workout");
    const doc = entityDoc("workout", id, workout("Leg day", [{ name: "Squat", sets: [[5, 100]] }]));
    expect(await pushed(phone, id, A.save(doc), 0)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 1 }); // A caches version 1
    const edit = (title: string) => {
      const next = A.change(A.clone(doc), (d) => {
        d.payload.title = title;
      });
      return A.saveSince(next, A.getHeads(doc));
    };
    expect(await pushed(tablet, id, edit("Leg day (heavy)"), 1)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 2 });
    // A's cached copy is on version 1, the one the phone builds on: A applies the edit, and the
    // store's optimistic lock finds version 2.
    expect(await pushed(phone, id, edit("Leg day (light)"), 1)).toMatchObject({ status: SyncStatus.CONFLICT, serverVersion: 2 });

    // The watch, on A, got version 1 by fan-out and version 2 with the conflict's answer; a
    // create after them marks the end of what it was sent.
    const marker = idFor("after the race");
    await pushed(phone, marker, A.save(entityDoc("workout", marker, workout("Marker", []))), 0);
    const versions: [string, number][] = [];
    while (!versions.some(([entity]) => entity === marker)) {
      const frame = await watch.reply(0);
      if (frame.body.case !== "changes") throw new Error(`unasked ${frame.body.case}`);
      versions.push(...frame.body.value.entities.map((e): [string, number] => [e.entityId, e.version]));
    }
    expect(versions).toEqual([
      [id, 1],
      [id, 2],
      [marker, 1],
    ]);
  });
});
