// Weekly volume: completed sets per muscle group in the current week, against targets.
import { describe, expect, it } from "vitest";
import type { WorkoutSet } from "../../../client/core/index.js";
import { DEFAULT_WEEKLY_TARGET, isoDay, weekStart, weeklyVolume } from "../../../client/app/gym/weekly-volume.js";
import type { PastWorkout } from "../../../client/app/gym/training-history.js";

const set = (reps: number, completed = true): WorkoutSet => ({ id: `${reps}-${String(completed)}`, reps, weight: 50, unit: "kg", rpe: null, completed });
const workout = (id: string, startedAt: number, exercises: [string, WorkoutSet[]][]): PastWorkout => ({
  id,
  payload: { title: id, startedAt, completedAt: null, notes: "", exercises: exercises.map(([name, sets], i) => ({ id: `${id}-${i}`, name, sets })) },
});
const library = [
  { name: "Bench Press", muscleGroups: ["chest", "triceps"] },
  { name: "Back Squat", muscleGroups: ["quads"] },
];
// Wednesday 2026-11-25 12:00 local; its week runs from Monday 2026-11-23.
const now = new Date(2026, 10, 25, 12).getTime();
const at = (day: number, hour = 9) => new Date(2026, 10, day, hour).getTime();

describe("weekStart", () => {
  it("is the Monday of the week, Sunday included in the week before it", () => {
    expect(isoDay(weekStart(now))).toBe("2026-11-23");
    expect(isoDay(weekStart(at(23, 0)))).toBe("2026-11-23");
    expect(isoDay(weekStart(at(29, 23)))).toBe("2026-11-23");
    expect(isoDay(weekStart(at(30, 0)))).toBe("2026-11-30");
  });
});

describe("weeklyVolume", () => {
  it("counts completed sets with reps per muscle group, each group of an exercise once", () => {
    const rows = weeklyVolume([workout("a", at(23), [["bench press ", [set(5), set(5), set(0), set(5, false)]], ["Back Squat", [set(5)]]])], library, now);
    expect(rows).toEqual([
      { muscleGroup: "chest", sets: 2, target: DEFAULT_WEEKLY_TARGET },
      { muscleGroup: "triceps", sets: 2, target: DEFAULT_WEEKLY_TARGET },
      { muscleGroup: "quads", sets: 1, target: DEFAULT_WEEKLY_TARGET },
    ]);
  });
  it("counts only this week's workouts, and exercises not in the library as other", () => {
    const rows = weeklyVolume(
      [workout("last week", at(22, 23), [["Back Squat", [set(5)]]]), workout("this", at(29, 20), [["Zercher Carry", [set(1), set(1)]]]), workout("next", at(30, 1), [["Back Squat", [set(5)]]])],
      library,
      now,
    );
    expect(rows).toEqual([{ muscleGroup: "other", sets: 2, target: DEFAULT_WEEKLY_TARGET }]);
  });
  it("uses the given targets and shows every targeted group even with no sets", () => {
    const rows = weeklyVolume([workout("a", at(24), [["Back Squat", [set(5), set(5)]]])], library, now, { quads: 12, hamstrings: 8 });
    expect(rows).toEqual([
      { muscleGroup: "quads", sets: 2, target: 12 },
      { muscleGroup: "hamstrings", sets: 0, target: 8 },
    ]);
  });
});
