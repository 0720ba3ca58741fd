// What past workouts say about an exercise: the sets of its last session (shown beside each set
// and pre-filled into new ones), the exercises used most recently (first in the picker), the best
// set and its estimated one-rep max. Pure functions over workout payloads; the screens load them.
import type { Payloads, WorkoutSet } from "../../core/index.js";

export interface PastWorkout {
  id: string;
  payload: Payloads["workout"];
}

/** Exercise names match whatever the case and spacing a person typed them with. */
export function sameExercise(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * The sets of `name` in the latest workout started before `before` that has it with sets (the
 * workout on screen, `exceptId`, never counts). Newest first is not assumed: workouts arrive in
 * whatever order they were read.
 */
export function previousSets(workouts: readonly PastWorkout[], name: string, before: number, exceptId?: string): WorkoutSet[] | undefined {
  let best: { at: number; sets: WorkoutSet[] } | undefined;
  for (const w of workouts) {
    if (w.id === exceptId || w.payload.startedAt > before) continue;
    if (best && w.payload.startedAt <= best.at) continue;
    const exercise = w.payload.exercises.find((e) => sameExercise(e.name, name) && e.sets.length > 0);
    if (exercise) best = { at: w.payload.startedAt, sets: exercise.sets };
  }
  return best?.sets;
}

/** Exercise names, the most recently used first, each once (as last written). */
export function recentExerciseNames(workouts: readonly PastWorkout[]): string[] {
  const sorted = [...workouts].sort((a, b) => b.payload.startedAt - a.payload.startedAt);
  const names: string[] = [];
  for (const w of sorted) for (const e of w.payload.exercises) if (!names.some((n) => sameExercise(n, e.name))) names.push(e.name.trim());
  return names;
}

/**
 * Estimated one-rep max by Epley's formula, weight × (1 + reps / 30): one rep is the weight
 * itself, no reps or no weight estimate nothing (0). Past 12 reps the estimate is unreliable, so
 * a set of more reps counts as 12.
 */
export function estimateOneRepMax(weight: number, reps: number): number {
  if (reps <= 0 || weight <= 0) return 0;
  if (reps === 1) return weight;
  return round(weight * (1 + Math.min(reps, 12) / 30), 0.1);
}

/** The set with the highest estimated one-rep max (ties: the heavier, then the earlier), if any counts. */
export function bestSet<S extends Pick<WorkoutSet, "reps" | "weight">>(sets: readonly S[]): S | undefined {
  let best: S | undefined;
  for (const set of sets) {
    const e1rm = estimateOneRepMax(set.weight, set.reps);
    if (e1rm === 0) continue;
    const top = best ? estimateOneRepMax(best.weight, best.reps) : 0;
    if (!best || e1rm > top || (e1rm === top && set.weight > best.weight)) best = set;
  }
  return best;
}

/** Rounds to the nearest multiple of `step` (weights to a plate, estimates to 0.1), free of float noise. */
export function round(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number((Math.round(value / step) * step).toFixed(decimals));
}

export interface ExerciseSession {
  workoutId: string;
  title: string;
  startedAt: number;
  sets: WorkoutSet[];
}

/** Every workout that has `name` with sets, newest first: an exercise's history page. */
export function exerciseSessions(workouts: readonly PastWorkout[], name: string): ExerciseSession[] {
  return workouts
    .flatMap((w) => {
      const sets = w.payload.exercises.filter((e) => sameExercise(e.name, name)).flatMap((e) => e.sets);
      return sets.length > 0 ? [{ workoutId: w.id, title: w.payload.title, startedAt: w.payload.startedAt, sets }] : [];
    })
    .sort((a, b) => b.startedAt - a.startedAt);
}
