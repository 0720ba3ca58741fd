// Each entity type resolves a concurrent edit its own way, over the real relay and Postgres;
// nothing is lost silently.
import { afterEach, describe, expect, it } from "vitest";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import { jsonSyncLogger, type IronFlowClient } from "../../client/core/index.js";
import { freshPgStore } from "../support/databases.js";
import { tempDir, waitFor, workout } from "../support/devices.js";
import { Code } from "../../schema/status.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relay(): Promise<Relay> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store });
  cleanups.push(db.close, () => r.close().catch(() => undefined));
  return r;
}

const logLines: string[] = [];

async function device(r: Relay, name: string, now?: () => number): Promise<IronFlowClient> {
  const dir = tempDir(name);
  const log = jsonSyncLogger((line) => logLines.push(line));
  const client = await openNodeClient({ dataDir: dir.path, relayUrl: r.syncUrl, account: testAccount("user-1"), deviceName: name, now, log });
  cleanups.push(() => dir.remove(), () => client.close());
  return client;
}

/** Both devices have the entity, then both go offline. */
async function shared(r: Relay, create: (a: IronFlowClient) => Promise<string>, skewB?: () => number) {
  const a = await device(r, "phone");
  const b = await device(r, "tablet", skewB);
  const id = await create(a);
  await a.syncNow();
  await b.syncNow();
  a.goOffline();
  b.goOffline();
  return { a, b, id };
}

async function converge(...clients: IronFlowClient[]) {
  for (let round = 0; round < 2; round++) for (const c of clients) await c.syncNow();
}

describe("workout and progression: both versions kept, the person chooses", () => {
  it("the source's story: A logs offline, B edits the same workout, both come online, the conflict is resolved and everyone converges", async () => {
    const r = await relay();
    const { a, b, id } = await shared(r, (a) => a.create("workout", workout("Bench", [{ name: "Bench Press", sets: [[3, 100]] }])));
    await a.update<"workout">(id, (w) => {
      w.exercises[0]!.sets[0]!.weight = 102.5;
    });
    await b.update<"workout">(id, (w) => {
      w.exercises.push({ id: "squat", name: "Squat", sets: [{ id: "sq1", reps: 3, weight: 140, unit: "kg", rpe: 8, completed: true }] });
    });
    await a.syncNow();
    await b.syncNow();
    const [item] = b.conflicts();
    expect(item?.conflict).toMatchObject({ serverDeviceName: "phone", serverVersion: 2 });
    expect(item?.conflict?.localData).toMatchObject({ deviceName: "tablet" });

    await b.resolveConflict(id, "merge");
    await converge(b, a);
    const onA = await a.get<"workout">(id);
    const onB = await b.get<"workout">(id);
    expect(onA?.payload).toEqual(onB?.payload);
    expect(onA?.payload.exercises.map((e) => e.name)).toEqual(["Bench Press", "Squat"]);
    expect(onA?.payload.exercises[0]?.sets[0]?.weight).toBe(102.5);
    expect(b.conflicts()).toEqual([]);
    expect(a.conflicts()).toEqual([]);

    // The source's debug log events, as JSON lines.
    const events = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ event: "sync_attempt", device_id: b.deviceId, items_count: 1 }));
    expect(events).toContainEqual(
      expect.objectContaining({ event: "sync_conflict", device_id: b.deviceId, entity_type: "workout", entity_id: id, client_version: 1, server_version: 2, resolution: "user_prompt" }),
    );
    expect(events).toContainEqual(expect.objectContaining({ event: "sync_success", device_id: b.deviceId, items_synced: 1 }));
    expect(b.metrics()).toMatchObject({ queueDepth: 0, waitingForManualSync: 0 });
    expect(b.metrics().conflictRate).toBeGreaterThan(0);
  });

  it("keep this device's or keep the other's makes that version the relay's new one", async () => {
    const r = await relay();
    const { a, b, id } = await shared(r, (a) =>
      a.create("progression", { exerciseName: "Squat", targetWeight: 140, unit: "kg", targetSets: 5, targetReps: 5, increment: 2.5, notes: "" }),
    );
    await a.update<"progression">(id, (p) => {
      p.targetWeight = 145;
    });
    await b.update<"progression">(id, (p) => {
      p.targetWeight = 150;
      p.notes = "deload next week";
    });
    await a.syncNow();
    await b.syncNow();
    await b.resolveConflict(id, "theirs");
    await converge(b, a);
    expect((await a.get<"progression">(id))?.payload).toMatchObject({ targetWeight: 145, notes: "" });
    expect((await b.get<"progression">(id))?.payload).toMatchObject({ targetWeight: 145, notes: "" });
  });

  it("a choice made against a version that moved on is checked again, not forced over the newer change", async () => {
    const r = await relay();
    const { a, b, id } = await shared(r, (a) => a.create("workout", workout("Arms", [{ name: "Curl", sets: [[10, 20]] }])));
    await a.update<"workout">(id, (w) => {
      w.title = "Arms (phone)";
    });
    await b.update<"workout">(id, (w) => {
      w.title = "Arms (tablet)";
    });
    await a.syncNow();
    await b.syncNow();
    expect(b.conflicts()).toHaveLength(1);
    b.goOffline(); // B decides without hearing of the phone's next change
    await a.update<"workout">(id, (w) => {
      w.notes = "newer change on the phone";
    });
    await a.syncNow(); // the relay moves on to version 3
    await b.resolveConflict(id, "mine");
    await b.syncNow();
    expect(b.conflicts()).toHaveLength(1);
    expect(b.conflicts()[0]?.conflict).toMatchObject({ serverVersion: 3, serverData: { payload: { notes: "newer change on the phone" } } });
    const c = await device(r, "laptop");
    await c.syncNow();
    expect((await c.get<"workout">(id))?.payload).toMatchObject({ title: "Arms (phone)", notes: "newer change on the phone" });
  });
});

describe("automatic strategies", () => {
  it("user_profile: last write wins field by field, by version first whatever the clocks say; the loser is kept in a record on both devices", async () => {
    const r = await relay();
    const hoursAhead = () => Date.now() + 5 * 3600_000;
    const { a, b, id } = await shared(
      r,
      (a) => a.create("user_profile", { displayName: "Sam", preferredUnit: "kg", bodyweight: 80, goals: "" }),
      hoursAhead,
    );
    // The phone syncs two edits (versions 2 and 3); the tablet, clock five hours ahead, edited offline on version 1.
    await a.update<"user_profile">(id, (p) => {
      p.bodyweight = 81;
    });
    await a.syncNow();
    await a.update<"user_profile">(id, (p) => {
      p.goals = "first pull-up";
    });
    await a.syncNow();
    await b.update<"user_profile">(id, (p) => {
      p.bodyweight = 79;
      p.preferredUnit = "lb";
    });
    await b.syncNow();
    await converge(a, b);
    // Both changed the bodyweight: the phone's write was built on a newer version, so it wins even
    // though the tablet's clock says later. The unit only the tablet changed is kept.
    for (const c of [a, b]) expect((await c.get<"user_profile">(id))?.payload).toMatchObject({ bodyweight: 81, preferredUnit: "lb", goals: "first pull-up" });
    expect(b.conflicts()).toEqual([]);
    for (const c of [a, b]) {
      expect(c.resolutions()).toMatchObject([{ kind: "overwritten", entityId: id, path: ["payload", "bodyweight"], lost: { value: 79 }, losing: { name: "tablet" }, restorable: true }]);
    }
    await a.restoreResolution(a.resolutions()[0]!.id);
    await converge(a, b);
    expect((await b.get<"user_profile">(id))?.payload).toMatchObject({ bodyweight: 79, preferredUnit: "lb", goals: "first pull-up" });
    expect(b.resolutions()).toMatchObject([{ restorable: false }]);
    expect(b.resolutions()[0]?.restoredAt).not.toBeNull();
  });

  it("recovery: last write wins per day, days changed on one side only are all kept", async () => {
    const r = await relay();
    const day = (sleepHours: number) => ({ sleepHours, soreness: 3, readiness: 7, note: "" });
    const { a, b, id } = await shared(r, (a) => a.create("recovery", { days: { "2026-11-20": day(7) } }));
    await a.update<"recovery">(id, (p) => {
      p.days["2026-11-21"] = day(8);
      p.days["2026-11-20"] = day(6);
    });
    await b.update<"recovery">(id, (p) => {
      p.days["2026-11-22"] = day(9);
      p.days["2026-11-20"] = day(5);
    });
    await a.syncNow();
    await b.syncNow();
    await converge(a, b);
    const days = (await a.get<"recovery">(id))?.payload.days;
    expect(Object.keys(days ?? {}).sort()).toEqual(["2026-11-20", "2026-11-21", "2026-11-22"]);
    // Same base version: the later hybrid clock (the tablet's edit came second) wins the shared day.
    expect(days?.["2026-11-20"]?.sleepHours).toBe(5);
    for (const c of [a, b]) expect(c.resolutions()).toMatchObject([{ path: ["payload", "days", "2026-11-20"], lost: { value: { sleepHours: 6 } } }]);
    expect(await b.get(id)).toEqual(await a.get(id));
  });

  it("volume: per muscle group, the maximum of both sides", async () => {
    const r = await relay();
    const { a, b, id } = await shared(r, (a) => a.create("volume", { weekStart: "2026-11-16", muscleGroups: { chest: { sets: 10 }, back: { sets: 8 } } }));
    await a.update<"volume">(id, (v) => {
      v.muscleGroups.chest!.sets = 14;
      v.muscleGroups.back!.sets = 9;
    });
    await b.update<"volume">(id, (v) => {
      v.muscleGroups.chest!.sets = 12;
      v.muscleGroups.back!.sets = 12;
      v.muscleGroups.legs = { sets: 6 };
    });
    await a.syncNow();
    await b.syncNow();
    await converge(a, b);
    for (const c of [a, b]) {
      expect((await c.get<"volume">(id))?.payload.muscleGroups).toEqual({ chest: { sets: 14 }, back: { sets: 12 }, legs: { sets: 6 } });
    }
    expect(b.conflicts()).toEqual([]);
  });
});

describe("edge cases", () => {
  it("deleted on A, edited later on B: the edit wins and brings the workout back", async () => {
    const r = await relay();
    const { a, b, id } = await shared(r, (a) => a.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }])));
    await a.delete(id);
    await a.syncNow();
    await b.update<"workout">(id, (w) => {
      w.exercises[0]!.sets.push({ id: "late", reps: 5, weight: 105, unit: "kg", rpe: null, completed: true });
    });
    await b.syncNow();
    await converge(a, b);
    for (const c of [a, b]) {
      const doc = await c.get<"workout">(id);
      expect(doc?.deleted).toBeNull();
      expect(doc?.payload.exercises[0]?.sets).toHaveLength(2);
    }
    for (const c of [a, b]) expect(c.resolutions()).toMatchObject([{ kind: "restored_by_edit", losing: { name: "phone" }, restorable: false }]);
  });

  it("edited on B, deleted later on A: the delete wins, the lost edit is kept in a record and can be restored", async () => {
    const r = await relay();
    const { a, b, id } = await shared(r, (a) => a.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }])));
    await b.update<"workout">(id, (w) => {
      w.exercises[0]!.sets.push({ id: "edit", reps: 5, weight: 110, unit: "kg", rpe: null, completed: true });
    });
    await a.delete(id);
    await a.syncNow();
    await b.syncNow();
    await converge(a, b);
    expect((await a.get(id))?.deleted).not.toBeNull();
    expect(b.list("workout")).toEqual([]);
    for (const c of [a, b]) expect(c.resolutions()).toMatchObject([{ kind: "edit_lost_to_delete", entityId: id, losing: { name: "tablet" }, lost: { sets: [{ set: { id: "edit" } }] } }]);
    await b.restoreResolution(b.resolutions()[0]!.id);
    await converge(b, a);
    const restored = await a.get<"workout">(id);
    expect(restored?.deleted).toBeNull();
    expect(restored?.payload.exercises[0]?.sets.map((s) => s.weight)).toEqual([100, 110]);
  });

  it("two workouts created on two devices for the same time are both kept and flagged as a possible duplicate", async () => {
    const r = await relay();
    const a = await device(r, "phone");
    const b = await device(r, "tablet");
    const onA = await a.create("workout", workout("Evening", [{ name: "Bench Press", sets: [[5, 80]] }]));
    const onB = await b.create("workout", workout("Evening", [{ name: "Row", sets: [[8, 60]] }]));
    await a.syncNow();
    await b.syncNow();
    await a.syncNow();
    expect(a.list("workout").map((w) => w.id).sort()).toEqual([onA, onB].sort());
    const [flag] = b.duplicates();
    expect(flag?.entityIds.slice().sort()).toEqual([onA, onB].sort());
    // Each side says which device logged it.
    const names = new Map([[onA, "phone"], [onB, "tablet"]]);
    expect(flag?.devices?.map((d) => d?.name)).toEqual(flag?.entityIds.map((id) => names.get(id)));
    await b.resolveDuplicate(flag!.id, { kind: "merge", keep: onB });
    await converge(b, a);
    const kept = await a.get<"workout">(onB);
    expect(kept?.payload.exercises.map((e) => e.name).sort()).toEqual(["Bench Press", "Row"]);
    expect(a.list("workout").map((w) => w.id)).toEqual([onB]);
  });

  it("two workouts logged for the same minute on one device are two sessions, not a duplicate", async () => {
    const r = await relay();
    const a = await device(r, "phone");
    const b = await device(r, "tablet");
    await a.create("workout", workout("Morning", [{ name: "Squat", sets: [[5, 100]] }]));
    await a.create("workout", workout("Morning, accessories", [{ name: "Curl", sets: [[10, 20]] }]));
    await a.syncNow();
    await b.syncNow();
    expect(b.list("workout")).toHaveLength(2);
    expect(a.duplicates()).toEqual([]);
    expect(b.duplicates()).toEqual([]);
  });
});

describe("exercise_definition: the relay is the authority", () => {
  it("the library reaches every device, its updates are announced, and a device's write is refused", async () => {
    const r = await relay();
    const squat = { key: "back-squat", definition: { name: "Back Squat", muscleGroups: ["quads"], equipment: "barbell", description: "" } };
    expect(await r.publishExerciseLibrary([squat])).toBe(1);
    expect(await r.publishExerciseLibrary([squat])).toBe(0); // unchanged: nothing published
    const a = await device(r, "phone");
    const b = await device(r, "tablet");
    await a.syncNow();
    await b.syncNow();
    const [entry] = a.list("exercise_definition");
    expect(entry?.title).toBe("Back Squat");
    expect(a.libraryNotices()).toEqual([]); // the first library is not news

    await r.publishExerciseLibrary([{ ...squat, definition: { ...squat.definition, muscleGroups: ["quads", "glutes"] } }]);
    for (const c of [a, b]) {
      await waitFor(c, async () => c.libraryNotices().length > 0 && (await c.get<"exercise_definition">(entry!.id))?.payload.muscleGroups.length === 2);
      expect(c.libraryNotices()).toMatchObject([{ kind: "library_updated", entityId: entry!.id, change: "updated" }]);
    }

    await expect(a.update<"exercise_definition">(entry!.id, (e) => {
      e.name = "Squat";
    })).rejects.toMatchObject({ code: Code.PERMISSION_DENIED });
    await expect(a.create("exercise_definition", { name: "Mine", muscleGroups: [], equipment: "", description: "" })).rejects.toMatchObject({
      code: Code.PERMISSION_DENIED,
    });
  });
});
