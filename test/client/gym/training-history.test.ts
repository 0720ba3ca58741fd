// What past workouts say about an exercise: last session's sets, recently used names, the best
// set and the estimated one-rep max.
import { describe, expect, it } from "vitest";
import type { WorkoutSet } from "../../../client/core/index.js";
import { bestSet, estimateOneRepMax, exerciseSessions, previousSets, recentExerciseNames, type PastWorkout } from "../../../client/app/gym/training-history.js";

const set = (reps: number, weight: number, id = `${reps}x${weight}`): WorkoutSet => ({ id, reps, weight, unit: "kg", rpe: null, completed: true });
const workout = (id: string, startedAt: number, exercises: [string, WorkoutSet[]][]): PastWorkout => ({
  id,
  payload: { title: id, startedAt, completedAt: null, notes: "", exercises: exercises.map(([name, sets], i) => ({ id: `${id}-${i}`, name, sets })) },
});

describe("estimateOneRepMax (Epley)", () => {
  it("is the weight for one rep, weight × (1 + reps/30) for more, rounded to 0.1", () => {
    expect(estimateOneRepMax(100, 1)).toBe(100);
    expect(estimateOneRepMax(100, 5)).toBe(116.7);
    expect(estimateOneRepMax(80, 10)).toBe(106.7);
    expect(estimateOneRepMax(60, 3)).toBe(66);
  });
  it("estimates nothing from no reps or no weight, and counts more than 12 reps as 12", () => {
    expect(estimateOneRepMax(100, 0)).toBe(0);
    expect(estimateOneRepMax(0, 8)).toBe(0);
    expect(estimateOneRepMax(50, 30)).toBe(estimateOneRepMax(50, 12));
    expect(estimateOneRepMax(50, 12)).toBe(70);
  });
});

describe("bestSet", () => {
  it("is the set with the highest estimate; a tie goes to the heavier set", () => {
    expect(bestSet([set(5, 100), set(1, 120), set(8, 90)])).toEqual(set(1, 120)); // 116.7, 120, 114
    expect(bestSet([set(5, 100), set(10, 90), set(3, 105)])).toEqual(set(10, 90)); // 116.7, 120, 115.5
    expect(bestSet([set(3, 100), set(1, 110)])).toEqual(set(1, 110)); // both 110
  });
  it("is nothing when no set counts", () => {
    expect(bestSet([set(0, 100), set(5, 0)])).toBeUndefined();
    expect(bestSet<WorkoutSet>([])).toBeUndefined();
  });
});

describe("previousSets", () => {
  const history = [
    workout("mon", 1000, [["Bench Press", [set(5, 80)]], ["Dip", [set(8, 0)]]]),
    workout("thu", 4000, [["bench press ", [set(5, 82.5)]]]),
    workout("sat", 6000, [["Bench Press", []]]),
    workout("now", 9000, [["Bench Press", [set(1, 200)]]]),
  ];
  it("is the latest session before the workout on screen that has the exercise with sets, whatever its case", () => {
    expect(previousSets(history, "Bench Press", 9000, "now")).toEqual([set(5, 82.5)]);
    expect(previousSets(history, "Bench Press", 3000, "now")).toEqual([set(5, 80)]);
    expect(previousSets(history, "Dip", 9000, "now")).toEqual([set(8, 0)]);
    expect(previousSets(history, "Squat", 9000, "now")).toBeUndefined();
  });
});

describe("recentExerciseNames", () => {
  it("lists each exercise once, the most recently done first", () => {
    const history = [workout("mon", 1000, [["Squat", []], ["Bench Press", []]]), workout("thu", 4000, [["bench press", []], ["Row", []]])];
    expect(recentExerciseNames(history)).toEqual(["bench press", "Row", "Squat"]);
  });
});

describe("exerciseSessions", () => {
  it("is every workout with the exercise's sets, newest first, whatever the order read", () => {
    const sessions = exerciseSessions(
      [workout("old", 1, [["Bench Press", [set(5, 80)]]]), workout("new", 3, [["bench press", [set(3, 90), set(3, 90, "b")]]]), workout("none", 2, [["Squat", [set(5, 100)]]])],
      "Bench Press",
    );
    expect(sessions.map((s) => [s.workoutId, s.sets.length])).toEqual([
      ["new", 2],
      ["old", 1],
    ]);
  });
});
