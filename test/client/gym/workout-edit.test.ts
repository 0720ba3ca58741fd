// The editor's edits of a stored workout: each applies once, a second application changes
// nothing (a call sent again to the next holding tab), and a removal comes back where it was.
import { describe, expect, it } from "vitest";
import type { Payloads, WorkoutSet } from "../../../client/core/index.js";
import { applyWorkoutEdit, type WorkoutEdit } from "../../../client/app/device/workout-edit.js";
import { repeatWorkout } from "../../../client/app/gym/plan-workout.js";

const set = (id: string, reps = 5, completed = true): WorkoutSet => ({ id, reps, weight: 80, unit: "kg", rpe: null, completed });
function workout(): Payloads["workout"] {
  return {
    title: "Push",
    startedAt: 1,
    completedAt: null,
    notes: "",
    exercises: [
      { id: "bench", name: "Bench Press", sets: [set("b1"), set("b2"), set("b3")] },
      { id: "ohp", name: "Overhead Press", sets: [set("o1")] },
      { id: "dip", name: "Dip", sets: [] },
    ],
  };
}
function twice(edit: WorkoutEdit, start = workout()): Payloads["workout"] {
  applyWorkoutEdit(start, edit);
  const once = structuredClone(start);
  applyWorkoutEdit(start, edit);
  expect(start).toEqual(once);
  return start;
}

describe("workout edits", () => {
  it("a set checked off keeps the values its fields showed", () => {
    const w = twice({ kind: "set_done", exerciseId: "ohp", setId: "o1", completed: false, values: { reps: 6, weight: 50, unit: "kg", rpe: 8 } });
    expect(w.exercises[1]!.sets[0]).toEqual({ id: "o1", reps: 6, weight: 50, unit: "kg", rpe: 8, completed: false });
  });
  it("a removed set comes back at its place", () => {
    const removed = twice({ kind: "remove_set", exerciseId: "bench", setId: "b2" });
    expect(removed.exercises[0]!.sets.map((s) => s.id)).toEqual(["b1", "b3"]);
    const back = twice({ kind: "restore_set", exerciseId: "bench", set: set("b2"), index: 1 }, removed);
    expect(back).toEqual(workout());
  });
  it("a removed exercise comes back at its place", () => {
    const removed = twice({ kind: "remove_exercise", exerciseId: "ohp" });
    expect(removed.exercises.map((e) => e.id)).toEqual(["bench", "dip"]);
    expect(twice({ kind: "restore_exercise", exercise: workout().exercises[1]!, index: 1 }, removed)).toEqual(workout());
  });
  it("an exercise moves to a place, the others keeping their order; a place past the end is the end", () => {
    expect(twice({ kind: "move_exercise", exerciseId: "bench", index: 1 }).exercises.map((e) => e.id)).toEqual(["ohp", "bench", "dip"]);
    expect(twice({ kind: "move_exercise", exerciseId: "dip", index: 0 }).exercises.map((e) => e.id)).toEqual(["dip", "bench", "ohp"]);
    expect(twice({ kind: "move_exercise", exerciseId: "bench", index: 9 }).exercises.map((e) => e.id)).toEqual(["ohp", "dip", "bench"]);
  });
});

describe("repeatWorkout", () => {
  it("starts a new workout with the same exercises and sets, new ids, nothing done", () => {
    const next = repeatWorkout(workout(), 500);
    expect(next.startedAt).toBe(500);
    expect(next.completedAt).toBeNull();
    expect(next.exercises.map((e) => [e.name, e.sets.map((s) => [s.reps, s.weight, s.completed])])).toEqual([
      ["Bench Press", [[5, 80, false], [5, 80, false], [5, 80, false]]],
      ["Overhead Press", [[5, 80, false]]],
      ["Dip", []],
    ]);
    const ids = next.exercises.flatMap((e) => [e.id, ...e.sets.map((s) => s.id)]);
    expect(ids.some((id) => ["bench", "b1", "ohp", "o1"].includes(id))).toBe(false);
  });
});
