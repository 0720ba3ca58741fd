// A person's edit of a stored workout as data, not as a function: a tab that does not hold the
// device store sends it to the tab that does (tabs/), which applies it inside client.update().
// Each edit is idempotent, so one sent again after its tab lost the store changes nothing twice:
// a removal of what is gone and a restore of what is there do nothing.
import type { Payloads, WorkoutExercise, WorkoutSet } from "../../core/index.js";

export type SetValues = Pick<WorkoutSet, "reps" | "weight" | "unit" | "rpe">;

export type WorkoutEdit =
  | { kind: "set_values"; exerciseId: string; setId: string; values: SetValues }
  /** A set checked off as done (or unchecked); with `values`, what the fields showed when it was. */
  | { kind: "set_done"; exerciseId: string; setId: string; completed: boolean; values?: SetValues }
  | { kind: "add_set"; exerciseId: string; set: WorkoutSet }
  | { kind: "remove_set"; exerciseId: string; setId: string }
  /** Undo of a removal: the set back where it was. */
  | { kind: "restore_set"; exerciseId: string; set: WorkoutSet; index: number }
  | { kind: "add_exercise"; exercise: WorkoutExercise }
  | { kind: "remove_exercise"; exerciseId: string }
  | { kind: "restore_exercise"; exercise: WorkoutExercise; index: number }
  /** Moves an exercise to `index` (clamped), the others keeping their order. */
  | { kind: "move_exercise"; exerciseId: string; index: number };

export function applyWorkoutEdit(workout: Payloads["workout"], edit: WorkoutEdit): void {
  const exerciseOf = (id: string) => workout.exercises.find((e) => e.id === id);
  switch (edit.kind) {
    case "set_values": {
      const set = exerciseOf(edit.exerciseId)?.sets.find((s) => s.id === edit.setId);
      // Every field as typed: on the document the person saw, the ones they did not touch are
      // unchanged, so only what they typed is written.
      if (set) Object.assign(set, edit.values);
      return;
    }
    case "set_done": {
      const set = exerciseOf(edit.exerciseId)?.sets.find((s) => s.id === edit.setId);
      if (set) Object.assign(set, edit.values ?? {}, { completed: edit.completed });
      return;
    }
    case "add_set": {
      const exercise = exerciseOf(edit.exerciseId);
      if (exercise && !exercise.sets.some((s) => s.id === edit.set.id)) exercise.sets.push(structuredClone(edit.set));
      return;
    }
    case "remove_set": {
      const exercise = exerciseOf(edit.exerciseId);
      if (exercise) exercise.sets = exercise.sets.filter((s) => s.id !== edit.setId);
      return;
    }
    case "restore_set": {
      const exercise = exerciseOf(edit.exerciseId);
      if (exercise && !exercise.sets.some((s) => s.id === edit.set.id)) exercise.sets.splice(clamp(edit.index, exercise.sets.length), 0, structuredClone(edit.set));
      return;
    }
    case "add_exercise":
      if (!exerciseOf(edit.exercise.id)) workout.exercises.push(structuredClone(edit.exercise));
      return;
    case "remove_exercise":
      workout.exercises = workout.exercises.filter((e) => e.id !== edit.exerciseId);
      return;
    case "restore_exercise":
      if (!exerciseOf(edit.exercise.id)) workout.exercises.splice(clamp(edit.index, workout.exercises.length), 0, structuredClone(edit.exercise));
      return;
    case "move_exercise": {
      const from = workout.exercises.findIndex((e) => e.id === edit.exerciseId);
      if (from < 0) return;
      const [moved] = workout.exercises.splice(from, 1);
      if (moved) workout.exercises.splice(clamp(edit.index, workout.exercises.length), 0, moved);
      return;
    }
  }
}

function clamp(index: number, length: number): number {
  return Math.max(0, Math.min(index, length));
}
