// One deterministic regression test per defect of the never-lose-a-set issue, each against the
// real relay and Postgres: what each device reported saved is, after sync, on every device and in
// Postgres, or named in a resolution record every device shows.
import { join } from "node:path";
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceState } from "../../client/core/device-state.js";
import { EncryptedStorage } from "../../client/core/storage/encrypted-storage.js";
import { RecordStore } from "../../client/core/storage/record-store.js";
import { FileStorage } from "../../client/node/file-storage.js";
import { storageKeyFromFile } from "../../client/node/storage-key.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import type { EntityDocument, IronFlowClient, Payloads, WorkoutSet } from "../../client/core/index.js";
import type { SyncLogger } from "../../client/core/sync/sync-types.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore, type PgStoreFixture } from "../support/databases.js";
import { FakeClock } from "../support/fake-clock.js";
import { tempDir, waitFor, workout } from "../support/devices.js";
import { freePort } from "../support/ports.js";
import { guard } from "../faults/fixtures.js";
import { TcpProxy } from "../faults/tcp-proxy.js";
import { Code } from "../../schema/status.js";

const USER = "user-1";
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface Setup {
  db: PgStoreFixture;
  relay: Relay;
}

async function relay(port?: number): Promise<Setup> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store, port });
  cleanups.push(db.close, () => r.close().catch(() => undefined));
  return { db, relay: r };
}

interface DeviceKnobs {
  now?: () => number;
  timers?: FakeClock;
  syncOnChange?: boolean;
  dataDir?: string;
  url?: string;
  maxBatchItems?: number;
  log?: SyncLogger;
}

async function device(setup: Setup, name: string, knobs: DeviceKnobs = {}): Promise<IronFlowClient> {
  let dataDir = knobs.dataDir;
  if (!dataDir) {
    const dir = tempDir(name);
    cleanups.push(() => dir.remove());
    dataDir = dir.path;
  }
  const client = await openNodeClient({
    dataDir,
    relayUrl: knobs.url ?? setup.relay.syncUrl,
    account: testAccount(USER),
    deviceName: name,
    now: knobs.now,
    timers: knobs.timers,
    syncOnChange: knobs.syncOnChange ?? false,
    maxBatchItems: knobs.maxBatchItems,
    log: knobs.log,
  });
  cleanups.push(() => client.close());
  relayUser = client.account().userId;
  return client;
}

/** The relay's id for USER, known once a device of theirs signed in. */
let relayUser = "";

function set(id: string, reps: number, weight: number): WorkoutSet {
  return { id, reps, weight, unit: "kg", rpe: null, completed: true };
}

function setIds(doc: unknown): string[] {
  const payload = (doc as EntityDocument<"workout"> | undefined)?.payload;
  return payload?.exercises.flatMap((e) => e.sets.map((s) => s.id)) ?? [];
}

async function inPostgres(setup: Setup, id: string): Promise<EntityDocument<"workout">> {
  const row = await setup.db.store.get(relayUser, id);
  return row!.data as EntityDocument<"workout">;
}

async function syncAll(...clients: IronFlowClient[]): Promise<void> {
  for (let round = 0; round < 3; round++) for (const c of clients) await c.syncNow();
}

/** Three devices sharing a workout with sets s1 and s2, each then offline. */
async function threeDevices(setup: Setup) {
  const a = await device(setup, "phone");
  const b = await device(setup, "tablet");
  const c = await device(setup, "laptop");
  const id = await a.create("workout", { ...workout("Legs", []), exercises: [{ id: "ex", name: "Squat", sets: [set("s1", 5, 100), set("s2", 5, 100)] }] });
  await syncAll(a, b, c);
  for (const d of [a, b, c]) d.goOffline();
  return { a, b, c, id };
}

function addSet(exerciseId: string, added: WorkoutSet) {
  return (w: Payloads["workout"]) => {
    w.exercises.find((e) => e.id === exerciseId)!.sets.push(added);
  };
}

describe("delete against edit writes nothing over the merge (defect 1)", () => {
  it("an edit later than the delete brings the workout back with every saved set, and nothing removed on purpose", async () => {
    const setup = await relay();
    const { a, b, c, id } = await threeDevices(setup);
    await c.update<"workout">(id, (w) => {
      w.exercises[0]!.sets = w.exercises[0]!.sets.filter((s) => s.id !== "s2");
      w.exercises[0]!.sets.push(set("sC", 5, 110));
    });
    await c.syncNow(); // the relay acknowledges sC
    await b.delete(id);
    await b.syncNow();
    await a.update<"workout">(id, addSet("ex", set("sA", 5, 105))); // after the delete
    await a.syncNow();
    await syncAll(a, b, c);
    for (const doc of [await a.get(id), await b.get(id), await c.get(id), await inPostgres(setup, id)]) {
      expect(doc?.deleted).toBeNull();
      expect(setIds(doc)).toEqual(["s1", "sC", "sA"]);
    }
    for (const d of [a, b, c]) expect(d.resolutions().map((r) => r.kind)).toContain("restored_by_edit");
  });

  it("a delete later than the edit keeps the edit in a record on every device; restoring brings back only that, on top of the merge", async () => {
    const setup = await relay();
    const { a, b, c, id } = await threeDevices(setup);
    await a.update<"workout">(id, addSet("ex", set("sA", 5, 105))); // before the delete
    await c.update<"workout">(id, (w) => {
      w.exercises[0]!.sets = w.exercises[0]!.sets.filter((s) => s.id !== "s2");
      w.exercises[0]!.sets.push(set("sC", 5, 110));
    });
    await c.syncNow();
    await b.syncNow(); // B sees C's change, then deletes
    await b.delete(id);
    await b.syncNow();
    await a.syncNow();
    await syncAll(a, b, c);
    for (const d of [a, b, c]) {
      expect((await d.get(id))?.deleted).not.toBeNull();
      expect(d.resolutions()).toMatchObject([{ kind: "edit_lost_to_delete", entityId: id, losing: { name: "phone" }, lost: { sets: [{ set: { id: "sA" } }] }, restorable: true }]);
    }
    expect((await inPostgres(setup, id)).deleted).not.toBeNull();
    await c.restoreResolution(c.resolutions()[0]!.id);
    await syncAll(c, a, b);
    for (const doc of [await a.get(id), await b.get(id), await c.get(id), await inPostgres(setup, id)]) {
      expect(doc?.deleted).toBeNull();
      expect(setIds(doc)).toEqual(["s1", "sC", "sA"]); // s2 was removed on purpose and stays removed
    }
    expect(a.resolutions()[0]).toMatchObject({ restorable: false });
  });
});

describe("a catch-up longer than one batch (defect 2)", () => {
  it("leaves every document intact, read back after reopening", async () => {
    const setup = await relay();
    const dir = tempDir("long-offline");
    cleanups.push(() => dir.remove());
    const phone = await device(setup, "phone", { dataDir: dir.path });
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) {
      const payload = workout(`Session ${i}`, [{ name: "Squat", sets: [[5, 100 + i]] }]);
      ids.push(await phone.create("workout", { ...payload, startedAt: payload.startedAt + i * 3_600_000 }));
    }
    const report = await phone.syncNow();
    expect(report.pushed).toBe(250);
    // The first workout of each batch of 100 came back empty before the fix.
    for (const id of [ids[0]!, ids[100]!, ids[200]!]) {
      await phone.update<"workout">(id, (w) => {
        w.notes = "edited after the catch-up";
      });
    }
    await phone.syncNow();
    await phone.close();
    const reopened = await device(setup, "phone", { dataDir: dir.path });
    for (const [i, id] of ids.entries()) {
      const doc = await reopened.get<"workout">(id);
      expect(doc?.payload.title, `workout ${i}`).toBe(`Session ${i}`);
      expect(doc?.payload.exercises[0]?.sets[0]?.weight).toBe(100 + i);
    }
    expect((await inPostgres(setup, ids[100]!)).payload.notes).toBe("edited after the catch-up");
  });
});

describe("a device stopped between storing a document from the relay and its record", () => {
  it("takes the entity's next version in, merged into the stored document, and goes on syncing", async () => {
    const setup = await relay();
    const dir = tempDir("tablet");
    cleanups.push(() => dir.remove());
    const phone = await device(setup, "phone");
    const id = await phone.create("workout", { ...workout("Legs", []), exercises: [{ id: "ex", name: "Squat", sets: [set("s1", 5, 100)] }] });
    await phone.syncNow();
    const tablet = await device(setup, "tablet", { dataDir: dir.path });
    await tablet.syncNow();
    await tablet.close();
    // The tablet stopped after writing the document and before writing its record (found by the
    // property test: a closed client's run went on writing into the folder).
    const key = await storageKeyFromFile(join(dir.path, "storage.key"));
    await new EncryptedStorage(new FileStorage(join(dir.path, "store")), key).remove(["_ironflow", "entity", id]);

    await phone.update<"workout">(id, addSet("ex", set("s2", 5, 105)));
    await phone.syncNow();
    const again = await device(setup, "tablet", { dataDir: dir.path });
    const report = await again.syncNow();
    expect(report.errors).toBe(0);
    expect(setIds(await again.get(id))).toEqual(["s1", "s2"]);
    // And the next change goes both ways.
    await again.update<"workout">(id, addSet("ex", set("s3", 5, 110)));
    await syncAll(again, phone);
    expect(setIds(await phone.get(id))).toEqual(["s1", "s2", "s3"]);
  });
});

describe("delete against edit is ordered by versions before clocks (defect 3)", () => {
  // An hour fast: the relay's time corrects the clock, and the versions agree. Fifty seconds fast
  // (under what the device corrects): the versions alone decide.
  it.each([
    ["an hour", 3_600_000],
    ["fifty seconds", 50_000],
  ])("a delete built on version 1 loses to edits built on versions 2 and 3 although its clock runs %s fast; every device gets the record", async (_, skew) => {
    const setup = await relay();
    const deleting = await device(setup, "phone", { now: () => Date.now() + skew });
    const editing = await device(setup, "tablet");
    const other = await device(setup, "laptop");
    const id = await editing.create("workout", { ...workout("Push", []), exercises: [{ id: "ex", name: "Bench", sets: [set("s1", 5, 80)] }] });
    await syncAll(editing, deleting, other);
    deleting.goOffline();
    await deleting.delete(id);
    await editing.update<"workout">(id, addSet("ex", set("s2", 5, 82.5)));
    await editing.syncNow();
    await editing.update<"workout">(id, addSet("ex", set("s3", 5, 85)));
    await editing.syncNow();
    await syncAll(deleting, editing, other);
    for (const d of [deleting, editing, other]) {
      const doc = await d.get(id);
      expect(doc?.deleted).toBeNull();
      expect(setIds(doc)).toEqual(["s1", "s2", "s3"]);
      expect(d.resolutions()).toMatchObject([{ kind: "restored_by_edit", losing: { name: "phone" } }]);
    }
  });
});

describe("delete against edit on the same version is ordered by the relay's time", () => {
  it("a delete made first by a device whose clock runs an hour fast loses to an edit made ten seconds later", async () => {
    const setup = await relay();
    let elapsed = 0; // what the test lets pass between the two acts, on both devices' clocks
    const deleting = await device(setup, "phone", { now: () => Date.now() + 3_600_000 + elapsed });
    const editing = await device(setup, "tablet", { now: () => Date.now() + elapsed });
    const id = await editing.create("workout", { ...workout("Push", []), exercises: [{ id: "ex", name: "Bench", sets: [set("s1", 5, 80)] }] });
    await syncAll(editing, deleting); // each learns how far its clock is from the relay's
    deleting.goOffline();
    editing.goOffline();
    await deleting.delete(id);
    elapsed = 10_000;
    await editing.update<"workout">(id, addSet("ex", set("s2", 5, 82.5)));
    await syncAll(deleting, editing);
    for (const d of [deleting, editing]) {
      expect((await d.get(id))?.deleted).toBeNull();
      expect(d.resolutions()).toMatchObject([{ kind: "restored_by_edit", losing: { name: "phone" } }]);
    }
  });
});

describe("settled work is pushed at once, not when an old retry timer comes due (defect 4)", () => {
  it("a conflict resolved while connected reaches the other device without time passing", async () => {
    const port = await freePort();
    const setup = await relay(port);
    const clock = new FakeClock(Date.now());
    const a = await device(setup, "phone", { syncOnChange: true });
    const b = await device(setup, "tablet", { timers: clock, syncOnChange: true });
    const id = await a.create("workout", workout("Pull", [{ name: "Row", sets: [[8, 60]] }]));
    await a.syncNow();
    await b.syncNow();
    b.goOffline();
    await a.update<"workout">(id, (w) => {
      w.title = "Pull (phone)";
    });
    await a.syncNow();
    // The relay goes away: the tablet's edit fails twice and is scheduled a minute out.
    await setup.relay.close();
    await b.update<"workout">(id, (w) => {
      w.title = "Pull (tablet)";
    });
    await b.syncNow().catch(() => undefined);
    await b.syncNow().catch(() => undefined);
    expect(b.queueItems().find((q) => q.entityId === id)).toMatchObject({ retryCount: 2 });
    const relayAgain = await startTestRelay({ store: await setup.db.reopen(), port });
    cleanups.push(() => relayAgain.close().catch(() => undefined));
    await b.syncNow();
    expect(b.conflicts()).toHaveLength(1);
    await a.syncNow(); // the phone reconnects and hears of changes live from here on
    await b.resolveConflict(id, "mine");
    await guard(
      waitFor(a, async () => (await a.get<"workout">(id))?.payload.title === "Pull (tablet)"),
      10_000,
      () => `the phone still has "${a.list("workout")[0]?.title}"; the tablet's item: ${JSON.stringify(b.queueItems())}`,
    );
  });

  it("an automatic settlement is pushed in the same sync, whatever the item's retry schedule said", async () => {
    const port = await freePort();
    const setup = await relay(port);
    const clock = new FakeClock(Date.now());
    const a = await device(setup, "phone", { syncOnChange: true });
    const b = await device(setup, "tablet", { timers: clock });
    const id = await a.create("user_profile", { displayName: "Sam", preferredUnit: "kg", bodyweight: 80, goals: "" });
    await a.syncNow();
    await b.syncNow();
    b.goOffline();
    await a.update<"user_profile">(id, (p) => {
      p.goals = "pull-up";
    });
    await a.syncNow();
    await setup.relay.close();
    await b.update<"user_profile">(id, (p) => {
      p.bodyweight = 82;
    });
    await b.syncNow().catch(() => undefined);
    const relayAgain = await startTestRelay({ store: await setup.db.reopen(), port });
    cleanups.push(() => relayAgain.close().catch(() => undefined));
    await a.syncNow();
    await b.syncNow(); // conflict, settled field by field, pushed again at once
    await guard(
      waitFor(a, async () => (await a.get<"user_profile">(id))?.payload.bodyweight === 82),
      10_000,
      () => `the tablet's item: ${JSON.stringify(b.queueItems())}`,
    );
    expect((await a.get<"user_profile">(id))?.payload).toMatchObject({ bodyweight: 82, goals: "pull-up" });
  });
});

describe("a save made while the device is connecting (defect 5)", () => {
  it("is uploaded right after the connection is up, with no timer", async () => {
    const setup = await relay();
    const proxy = await TcpProxy.open({ port: setup.relay.port });
    cleanups.push(() => proxy.close());
    const clock = new FakeClock(Date.now());
    const phone = await device(setup, "phone", { timers: clock, url: proxy.syncUrl, syncOnChange: true });
    proxy.delay(300); // a slow link: the handshake takes a while
    const connecting = phone.networkOnline();
    await proxy.waitFor((stats) => stats.accepted > 0);
    const id = await phone.create("workout", workout("Basement", [{ name: "Deadlift", sets: [[5, 140]] }]));
    await connecting;
    await guard(waitFor(phone, () => phone.syncState(id) === "synced"), 10_000, () => `still ${phone.syncState(id)}; pending timers ${clock.pending().join(", ")}`);
    expect(await setup.db.store.get(relayUser, id)).not.toBeNull();
  });
});

describe("an edit based on what the screen showed never silently overwrites a newer change (defect 6)", () => {
  /** A phone and a tablet syncing on every change share a workout with s1; the tablet's screen opens it. */
  async function tabletShowsWorkout() {
    const setup = await relay();
    const a = await device(setup, "phone", { syncOnChange: true });
    const b = await device(setup, "tablet", { syncOnChange: true });
    const id = await a.create("workout", { ...workout("Legs", []), exercises: [{ id: "ex", name: "Squat", sets: [set("s1", 5, 100)] }] });
    await a.syncNow();
    await b.syncNow();
    const shown = (await b.read<"workout">(id))!;
    return { setup, a, b, id, shown };
  }

  it("a field typed over a change that arrived meanwhile is kept and the other value recorded; an untouched field keeps the newer change", async () => {
    const { a, b, id, shown } = await tabletShowsWorkout();
    await a.update<"workout">(id, (w) => {
      Object.assign(w.exercises[0]!.sets[0]!, { reps: 6, weight: 110 });
    });
    await waitFor(b, async () => (await b.get<"workout">(id))?.payload.exercises[0]?.sets[0]?.weight === 110);
    // The person on the tablet types 105 into the weight they saw as 100, and leaves reps alone.
    await b.update<"workout">(id, (w) => {
      w.exercises[0]!.sets[0]!.weight = 105;
    }, { basedOn: shown.heads });
    await waitFor(a, async () => (await a.get<"workout">(id))?.payload.exercises[0]?.sets[0]?.weight === 105);
    for (const d of [a, b]) {
      expect((await d.get<"workout">(id))?.payload.exercises[0]?.sets[0]).toMatchObject({ reps: 6, weight: 105 });
      expect(d.resolutions()).toMatchObject([{ kind: "overwritten", path: ["payload", "exercises", "[ex]", "sets", "[s1]", "weight"], lost: { value: 110 }, losing: { name: "phone" } }]);
    }
  });

  it("an edit on what the screen showed, after a set arrived meanwhile, keeps that set once", async () => {
    const { a, b, id, shown } = await tabletShowsWorkout(); // s1 only
    await a.update<"workout">(id, addSet("ex", set("sA", 5, 105)));
    await waitFor(b, async () => setIds(await b.get(id)).includes("sA"));
    await b.update<"workout">(id, (w) => {
      w.exercises[0]!.sets[0]!.weight = 102.5;
    }, { basedOn: shown.heads });
    expect(setIds(await b.get(id))).toEqual(["s1", "sA"]);
    await waitFor(a, async () => (await a.get<"workout">(id))?.payload.exercises[0]?.sets[0]?.weight === 102.5);
    expect(setIds(await a.get(id))).toEqual(["s1", "sA"]);
  });

  // Found by the convergence property under load: the other device's set arrived between the
  // tablet's read of the workout and its delete, so the delete took a set the person never saw,
  // as a plain write on the newer version (no conflict anywhere, no record).
  it("a delete of a workout a set reached meanwhile keeps that set in a record on every device, restorable", async () => {
    const { setup, a, b, id, shown } = await tabletShowsWorkout(); // s1 only
    await a.update<"workout">(id, addSet("ex", set("sA", 5, 105)));
    await waitFor(b, async () => setIds(await b.get(id)).includes("sA"));
    await b.delete(id, { basedOn: shown.heads });
    // Each set once: Automerge's materialised root after changeAt showed sA twice, and the
    // delete wrote that as a second sA (3 runs in 4 before the fix).
    expect(setIds(await b.get(id))).toEqual(["s1", "sA"]);
    await waitFor(a, async () => (await a.get(id))?.deleted != null);
    for (const d of [a, b]) {
      expect(d.resolutions()).toMatchObject([{ kind: "edit_lost_to_delete", entityId: id, losing: { name: "phone" }, lost: { sets: [{ set: { id: "sA" } }] }, restorable: true }]);
    }
    expect((await inPostgres(setup, id)).deleted).not.toBeNull();
    await a.restoreResolution(a.resolutions()[0]!.id);
    await waitFor(b, async () => (await b.get(id))?.deleted === null);
    expect(setIds(await b.get(id))).toEqual(["s1", "sA"]);
  });
});

describe("a choice made on a conflict whose other side changed while it was shown", () => {
  // Found by the property (seed 20261202, run 62, under load): a newer version replaced the kept
  // conflict between the listing and the choice, and "keep mine" dropped a set nobody had seen.
  it("is refused, and the set that arrived meanwhile stays; made again on what is shown now, it is the person's", async () => {
    const setup = await relay();
    const { a, b, c, id } = await threeDevices(setup);
    await b.update<"workout">(id, (w) => {
      w.title = "Legs (tablet)";
    });
    await b.syncNow();
    await a.update<"workout">(id, (w) => {
      w.title = "Legs (phone)";
    });
    await a.syncNow();
    const shown = a.conflicts()[0]!.conflict!;
    expect(setIds(shown.serverData)).toEqual(["s1", "s2"]);
    // The laptop takes the tablet's version in and adds a set: the phone's kept conflict follows.
    await c.syncNow();
    await c.update<"workout">(id, addSet("ex", set("s3", 3, 120)));
    await c.syncNow();
    await a.syncNow();
    const now = a.conflicts()[0]!.conflict!;
    expect(setIds(now.serverData)).toEqual(["s1", "s2", "s3"]);

    await expect(a.resolveConflict(id, "mine", shown.serverVersion)).rejects.toMatchObject({ code: Code.FAILED_PRECONDITION });
    await syncAll(a, b, c);
    expect(setIds(await inPostgres(setup, id))).toEqual(["s1", "s2", "s3"]);
    expect(a.conflicts()).toHaveLength(1);

    await a.resolveConflict(id, "mine", now.serverVersion);
    await syncAll(a, b, c);
    for (const doc of [await a.get<"workout">(id), await b.get<"workout">(id), await c.get<"workout">(id), await inPostgres(setup, id)]) {
      expect(doc?.payload.title).toBe("Legs (phone)");
      expect(setIds(doc)).toEqual(["s1", "s2"]); // s3 seen and not chosen: dropped on purpose
    }
  });
});

describe("a workout deleted here while its conflict waited, then both merged", () => {
  // Found by the property (seed 20261204, run 167): the merge carried this side's tombstone and
  // hid the set only the other side had, with no record of it.
  it("is delete against edit: the later delete wins and the set only the other side had is in a record on every device, restorable", async () => {
    const setup = await relay();
    const { a, b, c, id } = await threeDevices(setup);
    await b.update<"workout">(id, addSet("ex", set("s3", 3, 120)));
    await b.syncNow();
    await a.update<"workout">(id, (w) => {
      w.title = "Legs (phone)";
    });
    await a.syncNow();
    const conflict = a.conflicts()[0]!.conflict!;
    expect(setIds(conflict.serverData)).toEqual(["s1", "s2", "s3"]);
    await a.delete(id); // the phone's screen showed s1 and s2
    await a.resolveConflict(id, "merge", conflict.serverVersion);
    await syncAll(a, b, c);
    expect((await inPostgres(setup, id)).deleted).not.toBeNull();
    for (const d of [a, b, c]) {
      expect(d.resolutions()).toMatchObject([{ kind: "edit_lost_to_delete", entityId: id, lost: { sets: [{ set: { id: "s3" } }] }, restorable: true }]);
    }
    await c.restoreResolution(c.resolutions()[0]!.id);
    await syncAll(c, a, b);
    for (const doc of [await a.get(id), await b.get(id), await c.get(id), await inPostgres(setup, id)]) {
      expect(doc?.deleted).toBeNull();
      expect(setIds(doc)).toContain("s3");
    }
  });
});

describe("a possible duplicate deleted on what the review showed", () => {
  it("keeps a set that reached the deleted workout after the review opened, in a record on every device", async () => {
    const setup = await relay();
    const a = await device(setup, "phone", { syncOnChange: true });
    const b = await device(setup, "tablet", { syncOnChange: true });
    const onPhone = await a.create("workout", { ...workout("Evening", []), exercises: [{ id: "ex", name: "Squat", sets: [set("s1", 5, 100)] }] });
    const onTablet = await b.create("workout", workout("Evening", [{ name: "Row", sets: [[8, 60]] }]));
    await a.syncNow();
    await b.syncNow();
    expect(b.duplicates()).toHaveLength(1);
    const shown = Object.fromEntries(await Promise.all([onPhone, onTablet].map(async (id) => [id, (await b.read(id))!.heads] as const)));
    await a.update<"workout">(onPhone, addSet("ex", set("sA", 5, 105)));
    await waitFor(b, async () => setIds(await b.get(onPhone)).includes("sA"));
    await b.resolveDuplicate(b.duplicates()[0]!.id, { kind: "delete", keep: onTablet, shown });
    await waitFor(a, async () => (await a.get(onPhone))?.deleted != null);
    for (const d of [a, b]) {
      expect(d.resolutions()).toMatchObject([{ kind: "edit_lost_to_delete", entityId: onPhone, losing: { name: "phone" }, lost: { sets: [{ set: { id: "sA" } }] }, restorable: true }]);
    }
    expect(b.duplicates()).toEqual([]);
  });
});

describe("merge both never makes a set nobody entered (defect 7)", () => {
  it("a set changed differently on both sides is kept twice, marked; a set changed on one side takes that change", async () => {
    const setup = await relay();
    const a = await device(setup, "phone");
    const b = await device(setup, "tablet");
    const id = await a.create("workout", { ...workout("Legs", []), exercises: [{ id: "ex", name: "Squat", sets: [set("s1", 5, 100), set("s2", 5, 100)] }] });
    await syncAll(a, b);
    await a.update<"workout">(id, (w) => {
      w.exercises[0]!.sets[0]!.reps = 6;
      w.exercises[0]!.sets[1]!.weight = 120;
    });
    await b.update<"workout">(id, (w) => {
      w.exercises[0]!.sets[0]!.weight = 105;
    });
    await a.syncNow();
    await b.syncNow();
    await b.resolveConflict(id, "merge");
    await syncAll(b, a);
    for (const doc of [await a.get<"workout">(id), await b.get<"workout">(id), await inPostgres(setup, id)]) {
      expect(doc?.payload.exercises[0]?.sets).toEqual([
        set("s1", 6, 100),
        { ...set(`s1~${b.deviceId.slice(0, 8)}`, 5, 105), keptFrom: { setId: "s1", device: { id: b.deviceId, name: "tablet" } } },
        set("s2", 5, 120),
      ]);
    }
    expect(a.resolutions()).toMatchObject([{ kind: "kept_both" }]);
  });
});

describe("a queue item whose change never reached the document (stopped between the two writes)", () => {
  it("does not push the change it kept: the device opens, finds the bytes missing from the document, and pushes from the document", async () => {
    const setup = await relay();
    const dir = tempDir("phone");
    cleanups.push(() => dir.remove());
    const phone = await device(setup, "phone", { dataDir: dir.path, syncOnChange: false });
    const id = await phone.create("workout", { ...workout("Legs", []), exercises: [{ id: "ex", name: "Squat", sets: [set("s1", 5, 100)] }] });
    await phone.syncNow();
    await phone.update<"workout">(id, addSet("ex", set("s2", 5, 105)));
    await phone.close();

    // The device stopped after writing the queue item of a third change ("ghost") and before
    // writing its document: the item keeps the ghost change's bytes, the document lacks them.
    const key = await storageKeyFromFile(join(dir.path, "storage.key"));
    const storage = new EncryptedStorage(new FileStorage(join(dir.path, "store")), key);
    const chunks = await storage.loadRange([id]);
    const stored = A.load<Record<string, unknown>>(concatBytes(chunks.flatMap((c) => (c.data ? [c.data] : []))));
    const ghost = A.change(A.clone(stored), (d) => {
      (d as unknown as EntityDocument<"workout">).payload.exercises[0]!.sets.push(set("ghost", 1, 1));
    });
    const itemKey = ["_ironflow", "queue", id];
    const item = JSON.parse(new TextDecoder().decode(await storage.load(itemKey))) as { unsynced: { base: string[]; heads: string[]; changes: string } | null; heads?: string[] };
    expect(item.unsynced).not.toBeNull(); // the kept bytes of s2, since the synced heads
    const base = item.unsynced!.base;
    // As the device writes it: the item announces the ghost's heads, which the document's record
    // (written after the document) never reached.
    item.unsynced = { base, heads: A.getHeads(ghost), changes: Buffer.from(A.saveSince(ghost, base)).toString("base64") };
    item.heads = A.getHeads(ghost);
    await storage.save(itemKey, new TextEncoder().encode(JSON.stringify(item)));

    const again = await device(setup, "phone", { dataDir: dir.path, syncOnChange: false });
    const report = await again.syncNow();
    expect(report.errors).toBe(0);
    expect(setIds(await inPostgres(setup, id))).toEqual(["s1", "s2"]);
    expect(setIds(await again.get(id))).toEqual(["s1", "s2"]);
  });
});

describe("a damaged stored record (a value that no longer opens)", () => {
  it("keeps neither the device from opening nor a set from the relay: records are made again from the documents, and lost queue items queued again", async () => {
    const setup = await relay();
    const dir = tempDir("phone");
    cleanups.push(() => dir.remove());
    const phone = await device(setup, "phone", { dataDir: dir.path });
    const synced = await phone.create("workout", { ...workout("Synced", []), exercises: [{ id: "ex", name: "Squat", sets: [set("s1", 5, 100)] }] });
    const waiting = await phone.create("workout", { ...workout("Waiting", []), exercises: [{ id: "ex", name: "Row", sets: [set("r1", 8, 60)] }] });
    await phone.syncNow();
    await phone.update<"workout">(waiting, addSet("ex", set("r2", 8, 62))); // saved, not synced
    await phone.close();

    // Bytes that are not a sealed value where the synced workout's record and the waiting
    // change's queue item were.
    const raw = new FileStorage(join(dir.path, "store"));
    await raw.save(["_ironflow", "entity", synced], new Uint8Array(64).fill(7));
    await raw.save(["_ironflow", "queue", waiting], new TextEncoder().encode("{ torn"));

    const events: { kind: unknown; id: unknown; recovered: unknown }[] = [];
    const log: SyncLogger = { event: (name, fields) => name === "storage_unreadable" && events.push({ kind: fields["kind"], id: fields["id"], recovered: fields["recovered"] }) };
    const again = await device(setup, "phone", { dataDir: dir.path, log });
    expect(events.sort((x, y) => String(x.kind).localeCompare(String(y.kind)))).toEqual([
      { kind: "entity", id: synced, recovered: true },
      { kind: "queue", id: waiting, recovered: true },
    ]);
    expect(again.list("workout").map((w) => w.title).sort()).toEqual(["Synced", "Waiting"]);
    expect((await again.syncNow()).errors).toBe(0);
    expect(setIds(await inPostgres(setup, waiting))).toEqual(["r1", "r2"]);
    // The rebuilt record knew no relay version: its first push found the relay's, already held.
    await again.update<"workout">(synced, addSet("ex", set("s2", 5, 105)));
    expect((await again.syncNow()).errors).toBe(0);
    expect(setIds(await inPostgres(setup, synced))).toEqual(["s1", "s2"]);
    expect(again.conflicts()).toEqual([]);
    expect(again.resolutions()).toEqual([]);
  });
});

describe("a damaged page of records (one stored value for up to 256 records)", () => {
  it("a page of workout records and a page of queue items that no longer open lose no set: each record named in the page's list is made again, each item queued again", async () => {
    const setup = await relay();
    const dir = tempDir("phone");
    cleanups.push(() => dir.remove());
    const phone = await device(setup, "phone", { dataDir: dir.path });
    const one = (title: string, setId: string): Payloads["workout"] => ({ ...workout(title, []), exercises: [{ id: "ex", name: "Squat", sets: [set(setId, 5, 100)] }] });
    const synced: string[] = [];
    for (let i = 0; i < 30; i++) synced.push(await phone.create("workout", one(`Synced ${i}`, `s${i}`)));
    expect((await phone.syncNow()).errors).toBe(0);
    // Saved, not synced: 70 new workouts and a set added to five synced ones (75 queue items).
    const waiting: string[] = [];
    for (let i = 0; i < 70; i++) waiting.push(await phone.create("workout", one(`Waiting ${i}`, `w${i}`)));
    for (const id of synced.slice(0, 5)) await phone.update<"workout">(id, addSet("ex", set(`${id}-more`, 5, 110)));
    await phone.close();
    // The device moved its records and items into pages as they came (and as it opened).
    await (await device(setup, "phone", { dataDir: dir.path })).close();
    const raw = new FileStorage(join(dir.path, "store"));
    expect((await raw.loadRange(["_ironflow", "page"])).map((c) => c.key.slice(1).join("/")).sort()).toEqual(["page/entity/0000", "page/queue/0000"]);
    // What each page holds that no loose record does: what the damage takes.
    const sealed = new EncryptedStorage(raw, await storageKeyFromFile(join(dir.path, "storage.key")));
    const onlyPaged = async (kind: string) => {
      const loose = new Set((await raw.loadRange(["_ironflow", kind])).map((c) => c.key.at(-1)));
      const members = JSON.parse(new TextDecoder().decode(await sealed.load(["_ironflow", "members", kind, "0000"]))) as string[];
      return members.filter((id) => !loose.has(id)).sort();
    };
    const [records, items] = [await onlyPaged("entity"), await onlyPaged("queue")];
    expect(records.length).toBeGreaterThan(50);
    expect(items.length).toBeGreaterThan(50);

    await raw.save(["_ironflow", "page", "entity", "0000"], new Uint8Array(64).fill(7));
    await raw.save(["_ironflow", "page", "queue", "0000"], new TextEncoder().encode("{ torn"));
    const events: { kind: unknown; id: unknown; recovered: unknown }[] = [];
    const log: SyncLogger = { event: (name, fields) => name === "storage_unreadable" && events.push({ kind: fields["kind"], id: fields["id"], recovered: fields["recovered"] }) };
    const again = await device(setup, "phone", { dataDir: dir.path, log });
    expect(events.filter((e) => e.kind === "entity").map((e) => e.id).sort()).toEqual(records);
    expect(events.filter((e) => e.kind === "queue").map((e) => e.id).sort()).toEqual(items);
    expect(events.every((e) => e.recovered === true)).toBe(true);
    expect(again.list("workout")).toHaveLength(100);
    expect(again.list("workout").filter((w) => w.title.startsWith("Waiting"))).toHaveLength(70);
    for (let round = 0; round < 3 && again.status().queueDepth > 0; round++) expect((await again.syncNow()).errors).toBe(0);
    expect(again.status().queueDepth).toBe(0);
    for (const [i, id] of waiting.entries()) expect(setIds(await inPostgres(setup, id))).toEqual([`w${i}`]);
    for (const [i, id] of synced.entries()) expect(setIds(await inPostgres(setup, id))).toEqual(i < 5 ? [`s${i}`, `${id}-more`] : [`s${i}`]);
    expect(again.conflicts()).toEqual([]);
  }, 120_000);
});

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("what a device writes on a synced edit (each was a file write per edit)", () => {
  /** The device's own record of itself, read from its folder as the next open would. */
  async function storedState(dataDir: string): Promise<DeviceState | undefined> {
    const key = await storageKeyFromFile(join(dataDir, "storage.key"));
    return new RecordStore<DeviceState>(new EncryptedStorage(new FileStorage(join(dataDir, "store")), key), "device").get("self");
  }

  function folder(): string {
    const dir = tempDir("device-writes");
    cleanups.push(() => dir.remove());
    return dir.path;
  }

  it("a synced queue item leaves storage: after a reopen the entity is synced, with no item and nothing to push", async () => {
    const setup = await relay();
    const dataDir = folder();
    const phone = await device(setup, "phone", { dataDir });
    const id = await phone.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }]));
    expect((await phone.syncNow()).pushed).toBe(1);
    await phone.update<"workout">(id, (w) => {
      w.notes = "heavy";
    });
    expect(phone.queueItems()).toMatchObject([{ entityId: id, status: "pending", operation: "update" }]);
    expect((await phone.syncNow()).pushed).toBe(1);
    expect(phone.syncState(id)).toBe("synced");
    await phone.close();

    const again = await device(setup, "phone", { dataDir });
    expect(again.queueItems()).toEqual([]);
    expect(again.syncState(id)).toBe("synced");
    expect((await again.syncNow()).pushed).toBe(0);
    expect((await again.get<"workout">(id))?.payload.notes).toBe("heavy");
    // The next change is an update again, as for any synced entity.
    await again.update<"workout">(id, (w) => {
      w.notes = "heavier";
    });
    expect(again.queueItems()).toMatchObject([{ entityId: id, operation: "update" }]);
  });

  it("the last sync time is written at most once a minute while syncing, and when the device closes", async () => {
    const setup = await relay();
    const dataDir = folder();
    const clock = new FakeClock(Date.now());
    const phone = await device(setup, "phone", { dataDir, timers: clock });
    const first = clock.now();
    const stored = async () => (await storedState(dataDir))?.lastSyncAt;
    await phone.syncNow();
    expect(await stored()).toBe(first);

    // Syncs within the minute change the time in memory only. (Steps shorter than the 5 s
    // heartbeat keep the one connection: a new one writes the state anyway, with its clock offset.)
    for (let at = 4_000; at < 60_000; at += 4_000) {
      clock.advance(4_000);
      await phone.syncNow();
      expect(phone.status().lastSyncAt).toBe(first + at);
      expect(await stored()).toBe(first);
    }
    clock.advance(4_000);
    await phone.syncNow();
    expect(await stored()).toBe(first + 60_000);

    clock.advance(4_000);
    await phone.syncNow();
    expect(await stored()).toBe(first + 60_000);
    await phone.close();
    expect(await stored()).toBe(first + 64_000);
  });
});
