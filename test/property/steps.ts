// Runs one scenario step against the devices, the relay and its database, recording in the
// ledger what the person was shown as saved, what they entered, what they removed on purpose and
// what they deliberately brought back.
import type { ConflictChoice, EntityListItem, EntityType, SyncQueueItem, WorkoutSet } from "../../client/core/index.js";
import { ensureOpen, onEach, trySync, type Device, type TestClock } from "./devices.js";
import { isLiveWorkout, setIdsOf, type Ledger, type Trace } from "./ledger.js";
import type { Mutation } from "./mutations.js";
import { HostCallError, type RemoteDevice } from "./remote-device.js";
import { MUSCLE_GROUPS, RECOVERY_DAYS, type Step } from "./scenario.js";

/** What the steps may do to the relay and its database. */
export interface RelayControl {
  /** Resolves once a relay restart in progress is done. */
  ready(): Promise<void>;
  /** SIGKILL now and start again in the background (synchronous: for an exact moment); false if it is already starting again. */
  crash(): boolean;
  /** SIGKILL and start again; resolves when it is ready. */
  kill(): Promise<void>;
  /** A clean stop (SIGTERM) and start. */
  restartCleanly(): Promise<void>;
  restartPostgres(mode: "immediate" | "fast"): Promise<void>;
}

export interface StepContext {
  devices: Device[];
  ledger: Ledger;
  trace: Trace;
  clock: TestClock;
  relay: RelayControl;
}

/** Resolution records that only inform; every other kind names something the person can restore. */
export async function runStep(ctx: StepContext, step: Step): Promise<void> {
  ctx.trace.count(`step: ${step.kind}`);
  switch (step.kind) {
    case "sync_all":
      await onEach(ctx.devices.filter((d) => d.remote.isOpen), (d) => trySync(d, ctx.trace));
      return;
    case "restart_relay":
      ctx.trace.add("relay stopping cleanly and starting again");
      await ctx.relay.restartCleanly();
      ctx.trace.add("relay started again");
      return;
    // The relay starts again in the background (about two seconds): the steps go on meanwhile,
    // the devices finding it down, as they would; heal waits for it.
    case "kill_relay":
      if (step.when === "now") {
        ctx.trace.add(ctx.relay.crash() ? "relay SIGKILLed; starting again in the background" : "relay is still starting again");
        return;
      }
      ctx.trace.add("relay to be SIGKILLed as the next push reaches it");
      for (const device of ctx.devices) {
        device.link.tapNext("up", "sync", () => {
          for (const d of ctx.devices) d.link.clearTap();
          if (!ctx.relay.crash()) return;
          ctx.trace.count("relay: killed mid-push");
          ctx.trace.add(`relay SIGKILLed as ${device.name}'s push reached it; starting again`);
        });
      }
      return;
    case "restart_postgres":
      ctx.trace.add(`postgres stopping (${step.mode}) and starting again`);
      await ctx.relay.restartPostgres(step.mode);
      ctx.trace.add("postgres started again");
      return;
    default:
      break;
  }
  const device = ctx.devices[step.device % ctx.devices.length]!;
  const { link, remote } = device;
  const say = (line: string) => ctx.trace.add(`${device.name} ${line}`);
  switch (step.kind) {
    case "fault":
      say(`arms ${step.fault} on the next ${step.direction} frame`);
      link.arm(step.direction, step.fault);
      return;
    case "hold_live":
      say("holds the relay's pushes");
      link.holdLive();
      return;
    case "release_live":
      say(`releases held pushes ${step.order}${step.duplicate ? ", each twice" : ""}`);
      link.releaseLive(step.order, step.duplicate);
      return;
    case "partition":
      say("partitioned");
      link.partition();
      return;
    case "heal":
      say("healed");
      link.heal();
      return;
    case "kill_device":
      if (!remote.isOpen) { say("is already down"); return; }
      if (step.when === "now") {
        const pid = remote.pid;
        await remote.killNow();
        ctx.trace.count("device: killed now");
        say(`SIGKILLed (process ${pid})`); return;
      }
      remote.killAfterNextSave();
      { say("to be SIGKILLed right after its next change is saved"); return; }
    case "restart_device":
      if (remote.isOpen) {
        await remote.close();
        say("closed cleanly");
      }
      await ensureOpen(device, ctx.clock, ctx.trace);
      return;
    // Conflicts and resolution records are rare at any one device: these steps go to the first
    // open device, from the one named, that has something to act on.
    case "resolve": {
      const at = await firstWith(ctx.devices, step.device, async (d) => (await d.remote.conflicts()).length > 0);
      if (!at) { ctx.trace.add("no device has a conflict to resolve"); return; }
      const item = pick(ctx.ledger.byCreation(await at.remote.conflicts(), (c) => c.entityId), step.target);
      if (!item) return;
      return resolveConflict(at, item, step.choice, ctx.ledger, ctx.trace);
    }
    case "restore_notice": {
      const at = await firstWith(ctx.devices, step.device, async (d) => (await restorable(d.remote)).length > 0);
      if (!at) { ctx.trace.add("no device has a record to restore from"); return; }
      await restoreResolution(ctx, at, step.target);
      return;
    }
    case "sync":
      await ensureOpen(device, ctx.clock, ctx.trace);
      await trySync(device, ctx.trace);
      return;
    case "log_burst": {
      await ensureOpen(device, ctx.clock, ctx.trace);
      if (!link.isPartitioned) {
        link.partition();
        say("partitioned (out of signal)");
      }
      for (let i = 0; i < step.workouts && remote.isOpen; i++) {
        await localChange(ctx, device, { kind: "log_workout", device: step.device, sets: step.sets }, say);
      }
      ctx.trace.count("burst: workouts", step.workouts);
      return;
    }
    default:
      await ensureOpen(device, ctx.clock, ctx.trace);
      return localChange(ctx, device, step, say);
  }
}

/** Device 0 logs one of everything and every device syncs, before any fault is armed. */
export async function shareStart(ctx: StepContext): Promise<void> {
  const first = ctx.devices[0]!;
  const steps: LocalStep[] = [
    { kind: "log_workout", device: 0, sets: 2 },
    { kind: "write_progression", device: 0, target: 0, create: true, weight: 100 },
    { kind: "write_profile", device: 0, bodyweight: 80 },
    { kind: "write_recovery", device: 0, day: 0, sleepHours: 7 },
    { kind: "write_volume", device: 0, group: 0, sets: 10 },
  ];
  for (const step of steps) await localChange(ctx, first, step, (line) => ctx.trace.add(`${first.name} ${line}`));
  for (const device of ctx.devices) await trySync(device, ctx.trace);
}

type LocalStep = Extract<
  Step,
  { kind: "log_workout" | "log_set" | "edit_set" | "delete_set" | "edit_workout" | "delete_workout" | "write_progression" | "write_profile" | "write_recovery" | "write_volume" }
>;

/**
 * A change the device refused, telling the person (nothing was shown as saved): the workout was
 * deleted meanwhile (an open screen, or a background sync that just brought the delete in).
 */
function refused(err: unknown): err is HostCallError {
  return err instanceof HostCallError && (err.code === "FAILED_PRECONDITION" || err.code === "NOT_FOUND");
}

async function localChange(ctx: StepContext, device: Device, step: LocalStep, say: (line: string) => void): Promise<void> {
  const { remote } = device;
  const { ledger } = ctx;
  const where = `${device.name} at ${ctx.trace.where()}`;
  const update = async (id: string, mutation: Mutation, what: string) => {
    try {
      return await remote.update(id, mutation);
    } catch (err) {
      if (!refused(err)) throw err;
      ctx.trace.count("change: refused");
      say(`could not ${what}: ${err.message}`);
      return undefined;
    }
  };
  switch (step.kind) {
    case "log_workout":
    case "log_set": {
      const shown =
        step.kind === "log_set" && step.stale
          ? ledger.byCreation(await remote.list("workout", { includeDeleted: true }), (w) => w.id)
          : await live(remote, ledger, "workout");
      const workout = step.kind === "log_set" ? pick(shown, step.target) : undefined;
      if (!workout) {
        // No workout here yet: logging a set starts one.
        const sets = step.kind === "log_workout" ? Array.from({ length: step.sets }, (_, i) => newSet(ledger, 5 + i, 60)) : [newSet(ledger, step.reps, step.weight)];
        const id = await remote.create("workout", {
          title: "Workout",
          startedAt: ledger.nextWorkoutStart(),
          completedAt: null,
          notes: "",
          exercises: [{ id: ledger.nextExerciseId(), name: "Bench Press", sets }],
        });
        ledger.entityCreated(id);
        for (const set of sets) ledger.markSaved(set.id, where);
        say(`logged workout ${id} with ${sets.map((s) => s.id).join(", ")}${killedNote(remote)}`); return;
      }
      if (step.kind !== "log_set") return;
      const set = newSet(ledger, step.reps, step.weight);
      const done = await update(workout.id, { kind: "add_set", set, slot: step.slot, newExercise: step.newExercise, exercise: { id: ledger.nextExerciseId(), name: "Row" } }, `log ${set.id} in ${workout.id}`);
      if (!done) return;
      ledger.markSaved(set.id, where);
      say(`logged ${set.id} (${set.reps}x${set.weight}) in ${workout.id} ${done.exerciseId}${workout.deleted ? " (deleted meanwhile)" : ""}${killedNote(remote)}`); return;
    }
    case "edit_set":
    case "delete_set": {
      const workout = pick(await live(remote, ledger, "workout"), step.target);
      const setId = workout ? pick(setIdsOf(await remote.get(workout.id)), step.slot) : undefined;
      if (!workout || !setId) { say(`has no set to ${step.kind === "edit_set" ? "edit" : "delete"}`); return; }
      const mutation: Mutation = step.kind === "delete_set" ? { kind: "delete_set", setId } : { kind: "edit_set", setId, reps: step.reps, weight: step.weight };
      const done = await update(workout.id, mutation, `${step.kind === "edit_set" ? "edit" : "delete"} ${setId}`);
      if (!done) return;
      if (!done.applied) { say(`found no ${setId} in ${workout.id} any more`); return; }
      if (step.kind === "delete_set") ledger.markRemoved([setId], `deleted by ${where}`);
      else ledger.entered(setId, step.reps, step.weight);
      say(`${step.kind === "edit_set" ? `edited ${setId} to ${step.reps}x${step.weight}` : `deleted ${setId}`} in ${workout.id}${killedNote(remote)}`); return;
    }
    case "edit_workout": {
      const workout = pick(await live(remote, ledger, "workout"), step.target);
      if (!workout) { say("has no workout to rename"); return; }
      if (!(await update(workout.id, { kind: "rename_workout", title: step.title }, `rename ${workout.id}`))) return;
      say(`renamed ${workout.id} to ${step.title}${killedNote(remote)}`); return;
    }
    case "delete_workout": {
      const workout = pick(await live(remote, ledger, "workout"), step.target);
      if (!workout) { say("has no workout to delete"); return; }
      // The person deletes what the screen shows: a set that reaches the device between the read
      // and the delete (a live change) is theirs to see in a record, not taken silently.
      const read = await remote.read(workout.id);
      const shown = setIdsOf(read?.doc);
      await remote.delete(workout.id, read?.heads);
      ledger.markRemoved(shown, `workout ${workout.id} deleted by ${where}`, workout.id);
      say(`deleted workout ${workout.id} (${shown.join(", ") || "no sets"})${killedNote(remote)}`); return;
    }
    case "write_progression": {
      const progression = step.create ? undefined : pick(await live(remote, ledger, "progression"), step.target);
      if (progression) {
        if (!(await update(progression.id, { kind: "progression_target", weight: step.weight }, `set ${progression.id}`))) return;
        say(`set progression ${progression.id} to ${step.weight}${killedNote(remote)}`); return;
      }
      const id = await remote.create("progression", {
        exerciseName: "Squat",
        targetWeight: step.weight,
        unit: "kg",
        targetSets: 5,
        targetReps: 5,
        increment: 2.5,
        notes: "",
      });
      ledger.entityCreated(id);
      say(`created progression ${id}${killedNote(remote)}`); return;
    }
    case "write_profile": {
      const profile = (await live(remote, ledger, "user_profile"))[0];
      if (profile) {
        if (!(await update(profile.id, { kind: "bodyweight", bodyweight: step.bodyweight }, `set bodyweight on ${profile.id}`))) return;
        say(`set bodyweight ${step.bodyweight} on ${profile.id}${killedNote(remote)}`); return;
      }
      const id = await remote.create("user_profile", { displayName: "Ada", preferredUnit: "kg", bodyweight: step.bodyweight, goals: "" });
      ledger.entityCreated(id);
      say(`created profile ${id}${killedNote(remote)}`); return;
    }
    case "write_recovery": {
      const day = RECOVERY_DAYS[step.day]!;
      const recovery = (await live(remote, ledger, "recovery"))[0];
      if (recovery) {
        if (!(await update(recovery.id, { kind: "recovery_sleep", day, sleepHours: step.sleepHours }, `set ${day} on ${recovery.id}`))) return;
        say(`set ${day} sleep ${step.sleepHours} on ${recovery.id}${killedNote(remote)}`); return;
      }
      const id = await remote.create("recovery", { days: { [day]: { sleepHours: step.sleepHours, soreness: null, readiness: null, note: "" } } });
      ledger.entityCreated(id);
      say(`created recovery ${id}${killedNote(remote)}`); return;
    }
    case "write_volume": {
      const group = MUSCLE_GROUPS[step.group]!;
      const volume = (await live(remote, ledger, "volume"))[0];
      if (volume) {
        if (!(await update(volume.id, { kind: "volume_sets", group, sets: step.sets }, `set ${group} on ${volume.id}`))) return;
        say(`set ${group} ${step.sets} on ${volume.id}${killedNote(remote)}`); return;
      }
      const id = await remote.create("volume", { weekStart: "2026-11-16", muscleGroups: { [group]: { sets: step.sets } } });
      ledger.entityCreated(id);
      say(`created volume ${id}${killedNote(remote)}`); return;
    }
  }
}

/**
 * The person chooses. Choosing one side drops the sets only the other side had (they saw both
 * and chose), and choosing a deleted side drops every set of both; the chosen side's sets (both
 * sides' for "merge") are deliberately kept, so they may come back even if removed before.
 * "merge" drops nothing on purpose: what a merge loses must be in a resolution record.
 */
export async function resolveConflict(device: Device, item: SyncQueueItem, choice: ConflictChoice, ledger: Ledger, trace: Trace): Promise<void> {
  const { remote } = device;
  const mine = await remote.get(item.entityId);
  const theirs = item.conflict?.serverData;
  try {
    // On the version the person was shown: a newer one may have replaced it since it was listed.
    await remote.resolveConflict(item.entityId, choice, item.conflict?.serverVersion);
  } catch (err) {
    // A background sync may have settled the conflict meanwhile; anything else is a failure.
    if (err instanceof HostCallError && err.code === "FAILED_PRECONDITION") { trace.add(`${device.name} resolve refused: ${err.message}`); return; }
    throw err;
  }
  trace.count(`resolved: ${choice}`);
  const why = `${choice} chosen on ${device.name} at ${trace.where()}`;
  const chosen = choice === "merge" ? [mine, theirs] : [choice === "mine" ? mine : theirs];
  const kept = chosen.filter(isLiveWorkout).flatMap(setIdsOf);
  let dropped: string[] = [];
  if (choice !== "merge") {
    const other = choice === "mine" ? theirs : mine;
    const chosenSide = chosen[0];
    const deletedSide = (chosenSide as { type?: string } | undefined)?.type === "workout" && !isLiveWorkout(chosenSide);
    dropped = deletedSide ? [...new Set([...setIdsOf(mine), ...setIdsOf(theirs)])] : setIdsOf(other).filter((s) => !kept.includes(s));
    ledger.markRemoved(dropped, `not chosen (${why})`, deletedSide ? item.entityId : undefined);
  }
  ledger.markBack(kept, why);
  trace.add(`${device.name} resolved ${item.entityType} ${item.entityId} with ${choice}${dropped.length ? `, dropping ${dropped.join(", ")}` : ""}${killedNote(remote)}`);
}

/** Restores from the device's `target`-th restorable record (by entity creation, then time); false if it has none. */
export async function restoreResolution(ctx: StepContext, device: Device, target: number): Promise<boolean> {
  const { remote } = device;
  const records = ctx.ledger.byCreation(await restorable(remote), (r) => r.entityId).sort((a, b) => a.at - b.at);
  const record = pick(records, target);
  if (!record) return false;
  try {
    await remote.restoreResolution(record.id);
  } catch (err) {
    if (!refused(err)) throw err;
    ctx.trace.count("restore: refused");
    ctx.trace.add(`${device.name} could not restore ${record.kind} of ${record.entityId}: ${err.message}`);
    return false;
  }
  const why = `restored from ${record.kind} ${record.id} on ${device.name} at ${ctx.trace.where()}`;
  const named = setIdsNamedIn(record.lost);
  ctx.ledger.markBack(named, why);
  if (record.entityType === "workout") ctx.ledger.workoutRestored(record.entityId, why);
  ctx.trace.count(`restored: ${record.kind}`);
  ctx.trace.add(`${device.name} restored ${record.kind} ${record.path} of ${record.entityId}${named.length ? ` (${named.join(", ")})` : ""}${killedNote(remote)}`);
  return true;
}

/** Set ids (as the test names them) anywhere in a record's `lost`. */
export function setIdsNamedIn(lost: unknown): string[] {
  return [...new Set([...JSON.stringify(lost ?? null).matchAll(/"(set-\d+)"/g)].map((m) => m[1]!))];
}

async function restorable(remote: RemoteDevice) {
  return (await remote.resolutions()).filter((r) => r.restorable);
}

async function firstWith(devices: Device[], from: number, has: (device: Device) => Promise<boolean>): Promise<Device | undefined> {
  for (let i = 0; i < devices.length; i++) {
    const device = devices[(from + i) % devices.length]!;
    if (device.remote.isOpen && (await has(device))) return device;
  }
  return undefined;
}

/** " (then SIGKILLed)" when an armed kill happened as this change was answered saved. */
function killedNote(remote: RemoteDevice): string {
  return remote.killedAfterSave ? " (then SIGKILLed right after saved)" : "";
}

async function live(remote: RemoteDevice, ledger: Ledger, type: EntityType): Promise<EntityListItem[]> {
  return ledger.byCreation(await remote.list(type), (item) => item.id);
}

function pick<T>(items: T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function newSet(ledger: Ledger, reps: number, weight: number): WorkoutSet {
  return { id: ledger.newSet(reps, weight), reps, weight, unit: "kg", rpe: null, completed: true };
}
