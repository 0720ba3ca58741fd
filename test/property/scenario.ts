// What one run of the convergence property does, as plain data fast-check generates and shrinks:
// a number of devices, their clock skews, and a list of steps. Device and target numbers are
// taken modulo what exists when the step runs, so any shrunk list still runs. `restore_notice`
// restores from a resolution record (today's notices).
import fc from "fast-check";
import type { Direction, FrameFault, ReleaseOrder } from "./faulty-link.js";

export type ConflictChoice = "mine" | "theirs" | "merge";

export type Step =
  | { kind: "log_workout"; device: number; sets: number }
  /**
   * stale: the person has had the workout open since before the last sync, so it may have been
   * deleted meanwhile on another device (the target is picked among deleted workouts too).
   */
  | { kind: "log_set"; device: number; target: number; slot: number; newExercise: boolean; stale: boolean; reps: number; weight: number }
  | { kind: "edit_set"; device: number; target: number; slot: number; reps: number; weight: number }
  | { kind: "delete_set"; device: number; target: number; slot: number }
  | { kind: "edit_workout"; device: number; target: number; title: string }
  | { kind: "delete_workout"; device: number; target: number }
  | { kind: "write_progression"; device: number; target: number; create: boolean; weight: number }
  | { kind: "write_profile"; device: number; bodyweight: number }
  | { kind: "write_recovery"; device: number; day: number; sleepHours: number }
  | { kind: "write_volume"; device: number; group: number; sets: number }
  | { kind: "resolve"; device: number; target: number; choice: ConflictChoice }
  | { kind: "restore_notice"; device: number; target: number }
  | { kind: "sync"; device: number }
  /** Every device syncs at once: their pushes race at the relay. */
  | { kind: "sync_all" }
  | { kind: "fault"; device: number; direction: Direction; fault: FrameFault }
  | { kind: "hold_live"; device: number }
  | { kind: "release_live"; device: number; order: ReleaseOrder; duplicate: boolean }
  | { kind: "partition"; device: number }
  | { kind: "heal"; device: number }
  /**
   * The device is cut off and logs several workouts in a row (a week at the gym without signal):
   * its catch-up later spans several batches (devices push at most a few items per batch).
   */
  | { kind: "log_burst"; device: number; workouts: number; sets: number }
  /**
   * SIGKILL the device's process: "now", or the moment it has answered its next local change as
   * saved. A device that is down opens again (on its folder) when a later step uses it, or at heal.
   */
  | { kind: "kill_device"; device: number; when: KillMoment }
  /** A clean close of the device's client and a reopen on the same folder. */
  | { kind: "restart_device"; device: number }
  /**
   * SIGKILL the relay process and start it again on the same port and database: "now", or the
   * moment the next push of any device has been forwarded to it (mid-batch).
   */
  | { kind: "kill_relay"; when: RelayKillMoment }
  /** A real restart of the database server: "immediate" is a crash (recovery at start), "fast" a clean stop. */
  | { kind: "restart_postgres"; mode: "immediate" | "fast" }
  /** A clean stop (SIGTERM) and start of the relay process. Kept so older scenario JSON still replays; not generated. */
  | { kind: "restart_relay" };

export type KillMoment = "now" | "after_save";
export type RelayKillMoment = "now" | "next_push";

export interface Scenario {
  devices: number;
  /** Per device, ms added to the shared test clock: hybrid logical clocks must cope. */
  skews: number[];
  /** Push after every local change while connected (the app's default), racing the steps. */
  autoSync: boolean;
  /**
   * Start from an account that already has a workout, a progression, a profile, recovery and
   * volume on every device, so steps edit the same entities concurrently from the first step.
   */
  sharedStart: boolean;
  steps: Step[];
  /** How the person answers the conflicts still open after heal, in turn. */
  healChoices: ConflictChoice[];
  /**
   * Once heal is quiet, every device restores from its first restorable resolution record (then
   * heal goes on). Records arise mostly as heal settles conflicts, so steps alone rarely restore.
   * Absent in older scenario JSON: no.
   */
  healRestores?: boolean;
}

export const MAX_DEVICES = 5;
export const RECOVERY_DAYS = ["2026-11-18", "2026-11-19", "2026-11-20"] as const;
export const MUSCLE_GROUPS = ["chest", "back", "legs"] as const;

// Two devices do most of the work, so they share entities and edit them concurrently; the rest join in.
const device = fc.oneof({ weight: 2, arbitrary: fc.nat({ max: 1 }) }, { weight: 1, arbitrary: fc.nat({ max: MAX_DEVICES - 1 }) });
const target = fc.nat({ max: 7 });
const reps = fc.integer({ min: 1, max: 12 });
const choice = fc.constantFrom<ConflictChoice>("merge", "mine", "theirs");
const weight = fc.integer({ min: 0, max: 80 }).map((n) => n * 2.5);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("log_workout"), device, sets: fc.integer({ min: 1, max: 3 }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("log_set"),
      device,
      target,
      slot: target,
      newExercise: fc.boolean(),
      stale: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
      reps,
      weight,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("edit_set"), device, target, slot: target, reps, weight }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete_set"), device, target, slot: target }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("edit_workout"), device, target, title: fc.constantFrom("Push", "Pull", "Legs", "Full body") }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("delete_workout"), device, target }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("write_progression"), device, target, create: fc.boolean(), weight }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("write_profile"), device, bodyweight: fc.integer({ min: 50, max: 120 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("write_recovery"),
      device,
      day: fc.nat({ max: RECOVERY_DAYS.length - 1 }),
      sleepHours: fc.integer({ min: 4, max: 10 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("write_volume"),
      device,
      group: fc.nat({ max: MUSCLE_GROUPS.length - 1 }),
      sets: fc.integer({ min: 0, max: 30 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("resolve"), device, target, choice }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("restore_notice"), device, target }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("sync"), device }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("sync_all") }) },
  {
    weight: 4,
    arbitrary: fc.oneof(
      // A frame lost without a cut costs a request timeout, so it is the rarest.
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("fault"), device, direction: fc.constantFrom<Direction>("up", "down"), fault: fc.constant<FrameFault>("drop") }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("fault"), device, direction: fc.constantFrom<Direction>("up", "down"), fault: fc.constantFrom<FrameFault>("cut", "duplicate") }) },
      // Only the relay sends two frames without waiting (a reply and a push), so only it can reorder.
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("fault"), device, direction: fc.constant<Direction>("down"), fault: fc.constant<FrameFault>("swap") }) },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("hold_live"), device }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("release_live"), device, order: fc.constantFrom<ReleaseOrder>("fifo", "lifo"), duplicate: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("partition"), device }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("heal"), device }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("log_burst"), device, workouts: fc.integer({ min: 4, max: 12 }), sets: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("kill_device"), device, when: fc.constantFrom<KillMoment>("after_save", "now") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart_device"), device }) },
  // A relay start costs about two seconds of CPU: the rarest step.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("kill_relay"), when: fc.constantFrom<RelayKillMoment>("next_push", "now") }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart_postgres"), mode: fc.constantFrom<"immediate" | "fast">("immediate", "fast") }) },
);

export function scenarioArbitrary(maxSteps: number): fc.Arbitrary<Scenario> {
  return fc.record({
    // Each device costs CPU in every run (its process syncs, pulls the exercise library, is read
    // back whole): mostly two or three, sometimes four or five.
    devices: fc.oneof(
      { weight: 3, arbitrary: fc.constant(2) },
      { weight: 3, arbitrary: fc.constant(3) },
      { weight: 1, arbitrary: fc.integer({ min: 4, max: MAX_DEVICES }) },
    ),
    skews: fc.array(fc.integer({ min: -3_600_000, max: 3_600_000 }), { minLength: MAX_DEVICES, maxLength: MAX_DEVICES }),
    autoSync: fc.boolean(),
    sharedStart: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    // Lengths spread over the whole range, not biased to a handful of steps in the first runs.
    steps: fc.noBias(fc.array(step, { minLength: 1, maxLength: maxSteps, size: "max" })),
    healChoices: fc.array(choice, { minLength: 1, maxLength: 4 }),
    healRestores: fc.boolean(),
  });
}
