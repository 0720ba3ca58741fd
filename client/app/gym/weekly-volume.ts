// Working sets per muscle group this week, against a weekly target: what the Volume screen draws.
// Pure over workout payloads and the exercise library; the screen loads them.
//
// Computed on the fly, not kept on the `volume` entity: that entity merges by the maximum per
// muscle group, so a count could never go down again after a set is removed or a workout deleted
// on another device; recomputing from the workouts is always right and cheap for one week.
import type { PastWorkout } from "./training-history.js";
import { sameExercise } from "./training-history.js";

/** Where an exercise not in the library (or with no muscle group) counts. */
export const OTHER = "other";
/** Sets per muscle group per week when the person set no target: the middle of the usual 10–20. */
export const DEFAULT_WEEKLY_TARGET = 10;

export interface VolumeRow {
  muscleGroup: string;
  sets: number;
  target: number;
}

/** Monday 00:00 (local time) of the week that holds `at`. */
export function weekStart(at: number): Date {
  const day = new Date(at);
  day.setHours(0, 0, 0, 0);
  const sinceMonday = (day.getDay() + 6) % 7;
  day.setDate(day.getDate() - sinceMonday);
  return day;
}

/** A day as YYYY-MM-DD in local time, the schema's day key. */
export function isoDay(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

/** The workouts started in the week (Monday to Sunday, local time) of `now`. */
export function thisWeek(workouts: readonly PastWorkout[], now: number): PastWorkout[] {
  const from = weekStart(now);
  const to = new Date(from);
  to.setDate(to.getDate() + 7);
  return workouts.filter((w) => w.payload.startedAt >= from.getTime() && w.payload.startedAt < to.getTime());
}

/**
 * Completed sets with reps, per muscle group, of the workouts started in the week of `now`. A set
 * of an exercise that works several groups counts once for each. Every group with a target shows
 * even at 0; groups are ordered by sets, most first, then by name.
 */
export function weeklyVolume(
  workouts: readonly PastWorkout[],
  library: readonly { name: string; muscleGroups: readonly string[] }[],
  now: number,
  targets: Readonly<Record<string, number>> = {},
): VolumeRow[] {
  const counts = new Map<string, number>(Object.keys(targets).map((g) => [g, 0]));
  for (const w of thisWeek(workouts, now)) {
    for (const exercise of w.payload.exercises) {
      const done = exercise.sets.filter((s) => s.completed && s.reps > 0).length;
      if (done === 0) continue;
      const groups = library.find((e) => sameExercise(e.name, exercise.name))?.muscleGroups ?? [];
      for (const group of groups.length > 0 ? groups : [OTHER]) counts.set(group, (counts.get(group) ?? 0) + done);
    }
  }
  return [...counts]
    .map(([muscleGroup, sets]) => ({ muscleGroup, sets, target: targets[muscleGroup] ?? DEFAULT_WEEKLY_TARGET }))
    .sort((a, b) => b.sets - a.sets || a.muscleGroup.localeCompare(b.muscleGroup));
}
