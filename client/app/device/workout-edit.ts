// A person's edit of a stored workout as data, not as a function: a tab that does not hold the
// device store sends it to the tab that does (tabs/), which applies it inside client.update().
// Each edit is idempotent, so one sent again after its tab lost the store changes nothing twice.
import type { Payloads, WorkoutExercise, WorkoutSet } from "../../core/index.js";

export type SetValues = Pick<WorkoutSet, "reps" | "weight" | "unit" | "rpe">;

export type WorkoutEdit =
  | { kind: "set_values"; exerciseId: string; setId: string; values: SetValues }
  | { kind: "add_set"; exerciseId: string; set: WorkoutSet }
  | { kind: "add_exercise"; exercise: WorkoutExercise };

export function applyWorkoutEdit(workout: Payloads["workout"], edit: WorkoutEdit): void {
  switch (edit.kind) {
    case "set_values": {
      const set = workout.exercises.find((e) => e.id === edit.exerciseId)?.sets.find((s) => s.id === edit.setId);
      // Every field as typed: on the document the person saw, the ones they did not touch are
      // unchanged, so only what they typed is written.
      if (set) Object.assign(set, edit.values);
      return;
    }
    case "add_set": {
      const exercise = workout.exercises.find((e) => e.id === edit.exerciseId);
      if (exercise && !exercise.sets.some((s) => s.id === edit.set.id)) exercise.sets.push(structuredClone(edit.set));
      return;
    }
    case "add_exercise":
      if (!workout.exercises.some((e) => e.id === edit.exercise.id)) workout.exercises.push(structuredClone(edit.exercise));
      return;
  }
}
