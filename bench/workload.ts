// The one document shape every side of the bench uses: a workout of EXERCISES exercises with
// SETS_PER_EXERCISE sets each, built by the tests' own payload builder, and the same edit
// ("add one set") for the latency runs. The anchor gets the same root our entity store makes
// (metadata beside the payload), so both sides sync the same bytes' worth of document.
import { workout } from "../test/support/devices.js";
import type { DocumentId } from "@automerge/automerge-repo";
import type { EntityDocument, Payloads, WorkoutSet } from "../schema/entities.js";

export const EXERCISES = 10;
export const SETS_PER_EXERCISE = 5;

const NAMES = [
  "Back Squat",
  "Bench Press",
  "Deadlift",
  "Overhead Press",
  "Barbell Row",
  "Pull Up",
  "Romanian Deadlift",
  "Incline Dumbbell Press",
  "Leg Press",
  "Lateral Raise",
];

/** Two minutes: 100,000 workouts still start after 1970 (a day apart, the 19,700th would not). */
const START_SPACING_MS = 2 * 60_000;
const FIRST_START = Date.UTC(2026, 10, 20, 18, 0);

/**
 * Workout i starts i × 2 minutes before the first: a person's workouts do not all start in the
 * same minute (the device flags two live workouts starting in one minute as possible duplicates,
 * one stored record per pair, which is what the test builder's fixed start would make of N).
 */
export function benchWorkout(i: number): Payloads["workout"] {
  const payload = workout(
    `Bench workout ${i}`,
    Array.from({ length: EXERCISES }, (_, e) => ({
      name: NAMES[e % NAMES.length]!,
      sets: Array.from({ length: SETS_PER_EXERCISE }, (_, s): [number, number] => [5, 60 + 2.5 * s]),
    })),
  );
  return { ...payload, startedAt: FIRST_START - i * START_SPACING_MS };
}

/** Edit numbers from here on are warm-up edits (their sets get distinct ids). */
export const WARMUP_EDITS = 1_000_000;

/** Edit k (k >= 0) adds this set to exercise k % EXERCISES (a workout allows 200 sets per exercise). */
export function addedSet(k: number): { exercise: number; set: WorkoutSet } {
  return {
    exercise: k % EXERCISES,
    set: { id: `bench-set-${k}`, reps: 3, weight: 100 + (k % 40) * 2.5, unit: "kg", rpe: 8, completed: true },
  };
}

export function countSets(payload: Payloads["workout"] | undefined): number {
  if (!payload) return -1;
  let n = 0;
  for (const e of payload.exercises) n += e.sets.length;
  return n;
}

/**
 * The root our EntityStore.create makes for a workout, for the anchor's documents. Typed as
 * our EntityDocument, so the compiler says when the two drift apart.
 */
export function workoutDocument(i: number, id: DocumentId, deviceId: string, deviceName: string, now: number): EntityDocument<"workout"> {
  return {
    type: "workout",
    id,
    createdAt: now,
    updatedAt: now,
    deviceId,
    deviceName,
    hlc: hlc(now, 0, deviceId),
    baseVersion: 0,
    deleted: null,
    payload: benchWorkout(i),
  };
}

/** Same encoding as client/core/clock/hlc.ts, so the anchor's metadata is the same size. */
export function hlc(wall: number, counter: number, deviceId: string): string {
  return `${String(wall).padStart(15, "0")}:${String(counter).padStart(6, "0")}:${deviceId}`;
}
