// Workouts and exercises started from what the person did before: the same exercises with last
// session's sets as they were, not yet done, so each set is one tap to check off.
import type { Payloads, WorkoutExercise, WorkoutSet } from "../../core/index.js";
import { newId } from "../workout-drafts.js";

/** Last session's sets, to do again: new ids, not done. */
export function setsToRepeat(previous: readonly WorkoutSet[] | undefined): WorkoutSet[] {
  return (previous ?? []).filter((s) => !s.keptFrom).map((s) => ({ id: newId(), reps: s.reps, weight: s.weight, unit: s.unit, rpe: s.rpe, completed: false }));
}

export function exerciseToLog(name: string, previous: readonly WorkoutSet[] | undefined): WorkoutExercise {
  return { id: newId(), name: name.trim(), sets: setsToRepeat(previous) };
}

/** A new workout, started `at`, repeating `last`: its title, its exercises in order, their sets. */
export function repeatWorkout(last: Payloads["workout"], at: number): Payloads["workout"] {
  return {
    title: last.title,
    startedAt: at,
    completedAt: null,
    notes: "",
    exercises: last.exercises.map((e) => exerciseToLog(e.name, e.sets)),
  };
}

export function emptyWorkout(title: string, at: number): Payloads["workout"] {
  return { title, startedAt: at, completedAt: null, notes: "", exercises: [] };
}
