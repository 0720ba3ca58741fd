// The strategy table applied to concurrent edits, as pure functions: JSON in (the common base,
// both sides, Automerge's merge of them), a target out that changes the merge as little as it can.
import { describe, expect, it } from "vitest";
import { applyChoice, asksPerson, isLater, settleAutomatically, writeKey, type Sides } from "../../client/core/conflicts/plan-resolution.js";
import type { EntityDocument, WorkoutSet } from "../../schema/entities.js";

const hlc = (ms: number, device = "x") => `${String(ms).padStart(15, "0")}:000000:${device}`;

function doc(type: EntityDocument["type"], payload: unknown, o: { hlc?: string; baseVersion?: number; device?: string; deleted?: EntityDocument["deleted"] } = {}): EntityDocument {
  const device = o.device ?? "d";
  return { type, id: "e1", createdAt: 1, updatedAt: 1, deviceId: device, deviceName: device, hlc: o.hlc ?? hlc(1), baseVersion: o.baseVersion ?? 1, deleted: o.deleted ?? null, payload } as EntityDocument;
}

function set(id: string, reps: number, weight: number): WorkoutSet {
  return { id, reps, weight, unit: "kg", rpe: null, completed: true };
}

function workout(...sets: WorkoutSet[]) {
  return { title: "Legs", startedAt: 1, completedAt: null, notes: "", exercises: [{ id: "ex", name: "Squat", sets }] };
}

function setsOf(d: EntityDocument): WorkoutSet[] {
  return (d.payload as ReturnType<typeof workout>).exercises.flatMap((e) => e.sets);
}

describe("write order", () => {
  it("the write built on the newer version is later even when its clock is hours behind", () => {
    expect(isLater(writeKey(doc("user_profile", {}, { hlc: hlc(10 * 3600_000), baseVersion: 1 })), writeKey(doc("user_profile", {}, { hlc: hlc(1), baseVersion: 2 })))).toBe(false);
  });
  it("on the same version, the later hybrid clock is later", () => {
    expect(isLater(writeKey(doc("user_profile", {}, { hlc: hlc(5), baseVersion: 2 })), writeKey(doc("user_profile", {}, { hlc: hlc(4), baseVersion: 2 })))).toBe(true);
  });
});

describe("who decides", () => {
  it("the person, for workouts and progressions edited on both sides", () => {
    for (const type of ["workout", "progression"] as const) {
      expect(asksPerson({ base: undefined, local: doc(type, {}), server: doc(type, {}) })).toBe(true);
    }
  });
  it("the rule, when one side deleted the workout", () => {
    const tombstone = { at: 1, hlc: hlc(2), deviceId: "b", baseVersion: 1 };
    expect(asksPerson({ base: undefined, local: doc("workout", {}), server: doc("workout", {}, { deleted: tombstone }) })).toBe(false);
  });
});

describe("automatic settlements change the merge as little as they can", () => {
  it("takes the relay's exercise definition", () => {
    const sides: Sides = { base: undefined, local: doc("exercise_definition", { name: "Sqaut" }), server: doc("exercise_definition", { name: "Squat" }) };
    expect(settleAutomatically(sides, sides.local).target.payload).toEqual({ name: "Squat" });
  });

  it("volume takes the maximum of each muscle group, including groups only one side has", () => {
    const local = doc("volume", { weekStart: "2026-11-16", muscleGroups: { chest: { sets: 3 }, legs: { sets: 9 } } });
    const server = doc("volume", { weekStart: "2026-11-16", muscleGroups: { chest: { sets: 5 } } });
    const merged = doc("volume", { weekStart: "2026-11-16", muscleGroups: { chest: { sets: 3 }, legs: { sets: 9 } } });
    const { target, records } = settleAutomatically({ base: undefined, local, server }, merged);
    expect(target.payload).toEqual({ weekStart: "2026-11-16", muscleGroups: { chest: { sets: 5 }, legs: { sets: 9 } } });
    expect(records).toEqual([]);
  });

  it("a profile takes the later write field by field; a field changed on one side only keeps that change", () => {
    const base = doc("user_profile", { displayName: "Sam", preferredUnit: "kg", bodyweight: 80, goals: "" });
    const local = doc("user_profile", { displayName: "Sam", preferredUnit: "lb", bodyweight: 79, goals: "" }, { hlc: hlc(9), device: "tablet" });
    const server = doc("user_profile", { displayName: "Sam", preferredUnit: "kg", bodyweight: 81, goals: "pull-up" }, { hlc: hlc(5), baseVersion: 2, device: "phone" });
    const merged = doc("user_profile", { displayName: "Sam", preferredUnit: "lb", bodyweight: 79, goals: "pull-up" });
    const { target, records } = settleAutomatically({ base, local, server }, merged);
    expect(target.payload).toEqual({ displayName: "Sam", preferredUnit: "lb", bodyweight: 81, goals: "pull-up" });
    expect(records).toEqual([{ kind: "overwritten", path: ["payload", "bodyweight"], lost: { value: 79 }, losing: { id: "tablet", name: "tablet" } }]);
    // A settlement carries the winning write's stamp, not a new one.
    expect(writeKey(target)).toEqual(writeKey(server));
  });

  it("a delete against an unedited side is simply a delete, with no record", () => {
    const base = doc("workout", workout(set("s1", 5, 100)));
    const tombstone = { at: 5, hlc: hlc(5), deviceId: "b", baseVersion: 1 };
    const local = doc("workout", workout(set("s1", 5, 100)), { deleted: tombstone });
    const { target, records } = settleAutomatically({ base, local, server: base }, local);
    expect(target.deleted).toEqual(tombstone);
    expect(records).toEqual([]);
  });
});

describe("delete against edit (defects 1 and 3 of the never-lose-a-set issue)", () => {
  // A has s1, s2 and adds sA offline on version 1. Meanwhile C removed s2 and added sC (version 2)
  // and B, on version 2, deleted the workout (version 3). Automerge's merge holds s1, sC, sA.
  const base = doc("workout", workout(set("s1", 5, 100), set("s2", 5, 100)));
  const local = doc("workout", workout(set("s1", 5, 100), set("s2", 5, 100), set("sA", 5, 105)), { hlc: hlc(30, "a"), device: "a" });
  const merged = doc("workout", workout(set("s1", 5, 100), set("sC", 5, 110), set("sA", 5, 105)));

  it("the later delete tombstones the merge: nothing is written over it, the lost edit is recorded and restorable", () => {
    const tombstone = { at: 20, hlc: hlc(20, "b"), deviceId: "b", baseVersion: 2 };
    const server = doc("workout", workout(set("s1", 5, 100), set("sC", 5, 110)), { hlc: hlc(20, "b"), baseVersion: 2, device: "b", deleted: tombstone });
    const { target, records } = settleAutomatically({ base, local, server }, { ...merged, deleted: tombstone });
    expect(target.deleted).toEqual(tombstone);
    expect(setsOf(target).map((s) => s.id)).toEqual(["s1", "sC", "sA"]); // s2 stays removed, sC stays
    expect(records).toEqual([{ kind: "edit_lost_to_delete", path: ["payload"], losing: { id: "a", name: "a" }, lost: { sets: [{ exerciseId: "ex", exerciseName: "Squat", set: set("sA", 5, 105) }] } }]);
  });

  it("the later edit clears the tombstone on the merge: every set any device saved is there", () => {
    const tombstone = { at: 20, hlc: hlc(20, "b"), deviceId: "b", baseVersion: 1 };
    const server = doc("workout", workout(set("s1", 5, 100), set("sC", 5, 110)), { hlc: hlc(20, "b"), baseVersion: 2, device: "b", deleted: tombstone });
    const { target, records } = settleAutomatically({ base, local: { ...local, baseVersion: 2 }, server }, { ...merged, deleted: tombstone });
    expect(target.deleted).toBeNull();
    expect(setsOf(target).map((s) => s.id)).toEqual(["s1", "sC", "sA"]);
    expect(records).toMatchObject([{ kind: "restored_by_edit", losing: { id: "b" } }]);
  });

  it("a delete built on version 1 loses to edits built on versions 2 and 3, however fast its clock runs", () => {
    const anHourFast = { at: 1, hlc: hlc(3600_000, "b"), deviceId: "b", baseVersion: 1 };
    const deleting = doc("workout", workout(set("s1", 5, 100)), { hlc: hlc(3600_000, "b"), device: "b", deleted: anHourFast });
    const edited = doc("workout", workout(set("s1", 5, 100), set("s3", 3, 120)), { hlc: hlc(10, "c"), baseVersion: 3, device: "c" });
    const { target } = settleAutomatically({ base: doc("workout", workout(set("s1", 5, 100))), local: deleting, server: edited }, { ...edited, deleted: anHourFast });
    expect(target.deleted).toBeNull();
  });
});

describe("merge both (defect 7): never a set nobody entered", () => {
  const base = doc("workout", workout(set("s1", 5, 100), set("s2", 5, 100)));
  const local = doc("workout", workout(set("s1", 6, 100), set("s2", 5, 100)), { device: "tablet" });
  const server = doc("workout", workout(set("s1", 5, 105), set("s2", 8, 100)), { device: "phone" });
  // Automerge merges field by field: reps from one side, weight from the other.
  const merged = doc("workout", workout(set("s1", 6, 105), set("s2", 8, 100)));

  it("a set changed differently on both sides is kept twice, marked; a set changed on one side takes that change", () => {
    const { target, records } = applyChoice("merge", { base, local, server }, merged);
    expect(setsOf(target)).toEqual([
      set("s1", 5, 105),
      { ...set("s1~tablet", 6, 100), keptFrom: { setId: "s1", device: { id: "tablet", name: "tablet" } } },
      set("s2", 8, 100),
    ]);
    expect(records).toEqual([{ kind: "kept_both", path: ["payload", "exercises", "[ex]", "sets", "[s1]"], lost: {}, losing: null }]);
  });

  it("keeping one side takes that side's sets whole", () => {
    expect(setsOf(applyChoice("mine", { base, local, server }, merged).target)).toEqual(setsOf(local));
    expect(setsOf(applyChoice("theirs", { base, local, server }, merged).target)).toEqual(setsOf(server));
  });
});
