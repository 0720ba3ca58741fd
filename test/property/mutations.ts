// Changes to an entity's payload as plain data, so the test process can ask a device in another
// process to make them (a function cannot cross the IPC channel). The device host applies them
// inside the client's update() to the payload as the device holds it at that moment.
import type { Payloads, WorkoutSet } from "../../schema/entities.js";

export type Mutation =
  /**
   * Adds `set` to the workout's exercise at `slot` (modulo how many it has), or, with
   * `newExercise` or when the workout has no exercise, to a new exercise `exercise`.
   */
  | { kind: "add_set"; set: WorkoutSet; slot: number; newExercise: boolean; exercise: { id: string; name: string } }
  | { kind: "edit_set"; setId: string; reps: number; weight: number }
  | { kind: "delete_set"; setId: string }
  | { kind: "rename_workout"; title: string }
  | { kind: "progression_target"; weight: number }
  | { kind: "bodyweight"; bodyweight: number }
  | { kind: "recovery_sleep"; day: string; sleepHours: number }
  | { kind: "volume_sets"; group: string; sets: number };

/** What a mutation did to the payload it was given: false when its target was not there. */
export interface Applied {
  applied: boolean;
  /** For add_set: the exercise the set went into. */
  exerciseId?: string;
}

/** Applies `m` to `payload` in place. */
export function applyMutation(payload: unknown, m: Mutation): Applied {
  if (typeof payload !== "object" || payload === null) {
    // The person's screen would have nothing to edit: the device's copy of the document is empty.
    throw new Error(`the document has no payload to change (it reads ${JSON.stringify(payload ?? null)}); the device's copy is gone`);
  }
  switch (m.kind) {
    case "add_set": {
      const w = payload as Payloads["workout"];
      const exercise = w.exercises.length > 0 && !m.newExercise ? w.exercises[m.slot % w.exercises.length] : undefined;
      if (exercise) {
        exercise.sets.push(structuredClone(m.set));
        return { applied: true, exerciseId: exercise.id };
      }
      w.exercises.push({ id: m.exercise.id, name: m.exercise.name, sets: [structuredClone(m.set)] });
      return { applied: true, exerciseId: m.exercise.id };
    }
    case "edit_set":
    case "delete_set": {
      const w = payload as Payloads["workout"];
      let applied = false;
      for (const exercise of w.exercises) {
        const at = exercise.sets.findIndex((s) => s.id === m.setId);
        if (at < 0) continue;
        applied = true;
        if (m.kind === "delete_set") exercise.sets.splice(at, 1);
        else Object.assign(exercise.sets[at]!, { reps: m.reps, weight: m.weight });
      }
      return { applied };
    }
    case "rename_workout":
      (payload as Payloads["workout"]).title = m.title;
      return { applied: true };
    case "progression_target":
      (payload as Payloads["progression"]).targetWeight = m.weight;
      return { applied: true };
    case "bodyweight":
      (payload as Payloads["user_profile"]).bodyweight = m.bodyweight;
      return { applied: true };
    case "recovery_sleep": {
      const r = payload as Payloads["recovery"];
      const existing = r.days[m.day];
      if (existing) existing.sleepHours = m.sleepHours;
      else r.days[m.day] = { sleepHours: m.sleepHours, soreness: null, readiness: null, note: "" };
      return { applied: true };
    }
    case "volume_sets": {
      const v = payload as Payloads["volume"];
      const existing = v.muscleGroups[m.group];
      if (existing) existing.sets = m.sets;
      else v.muscleGroups[m.group] = { sets: m.sets };
      return { applied: true };
    }
  }
}
