// Runs one scenario step against the devices and the relay, recording in the ledger what the
// person was shown as saved and what they removed on purpose.
import type { EntityListItem, EntityType, IronFlowClient, SyncQueueItem, WorkoutSet } from "../../client/core/index.js";
import { Code, SyncError } from "../../client/core/index.js";
import type { Device } from "./devices.js";
import { trySync } from "./devices.js";
import { setIdsOf, type Ledger, type Trace } from "./ledger.js";
import { MUSCLE_GROUPS, RECOVERY_DAYS, type ConflictChoice, type Step } from "./scenario.js";

export interface StepContext {
  devices: Device[];
  ledger: Ledger;
  trace: Trace;
  restartRelay(): Promise<void>;
}

export async function runStep(ctx: StepContext, step: Step): Promise<void> {
  ctx.trace.count(`step: ${step.kind}`);
  if (step.kind === "sync_all") {
    await Promise.all(ctx.devices.map((d) => trySync(d, ctx.trace)));
    return;
  }
  if (step.kind === "restart_relay") {
    ctx.trace.add("relay restarting");
    await ctx.restartRelay();
    ctx.trace.add("relay restarted");
    return;
  }
  const device = ctx.devices[step.device % ctx.devices.length]!;
  const { link } = device;
  const say = (line: string) => ctx.trace.add(`${device.name} ${line}`);
  switch (step.kind) {
    case "sync":
      await trySync(device, ctx.trace);
      return;
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
    // Conflicts and notices are rare at any one device: these steps go to the first device, from
    // the one named, that has something to act on.
    case "resolve":
      return resolve(ctx, firstWith(ctx.devices, step.device, (d) => d.client.conflicts().length > 0), step.target, step.choice);
    case "restore_notice":
      return restoreNotice(ctx, firstWith(ctx.devices, step.device, (d) => restorableNotices(d).length > 0), step.target);
    default:
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

async function localChange(ctx: StepContext, device: Device, step: LocalStep, say: (line: string) => void): Promise<void> {
  const { client } = device;
  const { ledger } = ctx;
  const where = `${device.name} at ${ctx.trace.where()}`;
  switch (step.kind) {
    case "log_workout":
    case "log_set": {
      const shown = step.kind === "log_set" && step.stale ? ledger.byCreation(client.list("workout", { includeDeleted: true }), (w) => w.id) : live(client, ledger, "workout");
      const workout = step.kind === "log_set" ? pick(shown, step.target) : undefined;
      if (!workout) {
        // No workout here yet: logging a set starts one.
        const sets = step.kind === "log_workout" ? Array.from({ length: step.sets }, (_, i) => newSet(ledger, 5 + i, 60)) : [newSet(ledger, step.reps, step.weight)];
        const id = await client.create("workout", {
          title: "Workout",
          startedAt: ledger.nextWorkoutStart(),
          completedAt: null,
          notes: "",
          exercises: [{ id: ledger.nextExerciseId(), name: "Bench Press", sets }],
        });
        ledger.entityCreated(id);
        for (const set of sets) ledger.markSaved(set.id, where);
        return say(`logged workout ${id} with ${sets.map((s) => s.id).join(", ")}`);
      }
      if (step.kind !== "log_set") return;
      const set = newSet(ledger, step.reps, step.weight);
      const exerciseId = ledger.nextExerciseId();
      try {
        await client.update<"workout">(workout.id, (w) => {
          const exercise = w.exercises.length > 0 && !step.newExercise ? w.exercises[step.slot % w.exercises.length] : undefined;
          if (exercise) exercise.sets.push(set);
          else w.exercises.push({ id: exerciseId, name: "Row", sets: [set] });
        });
      } catch (err) {
        // Refusing a change to a workout deleted meanwhile (before the step, or by a delete that
        // arrived live while it ran) is fine: the person is told, nothing is shown as saved.
        const refused = deletedMeanwhile(err);
        if (!refused) throw err;
        return say(`could not log ${set.id} in deleted ${workout.id}: ${err.message}`);
      }
      ledger.markSaved(set.id, where);
      say(`logged ${set.id} in ${workout.id}${workout.deleted ? " (deleted meanwhile)" : ""}`);
      return;
    }
    case "edit_set":
    case "delete_set": {
      const workout = pick(live(client, ledger, "workout"), step.target);
      const setId = workout ? pick(setIdsOf(await client.get(workout.id)), step.slot) : undefined;
      if (!workout || !setId) return say(`has no set to ${step.kind === "edit_set" ? "edit" : "delete"}`);
      const refused = await client.update<"workout">(workout.id, (w) => {
        for (const exercise of w.exercises) {
          const at = exercise.sets.findIndex((s) => s.id === setId);
          if (at < 0) continue;
          if (step.kind === "delete_set") exercise.sets.splice(at, 1);
          else Object.assign(exercise.sets[at]!, { reps: step.reps, weight: step.weight });
        }
      }).then(() => undefined, refusedIfDeleted);
      if (refused) return say(`could not change ${setId}: ${refused.message}`);
      if (step.kind === "delete_set") ledger.markRemoved([setId], `deleted by ${where}`);
      say(`${step.kind === "edit_set" ? "edited" : "deleted"} ${setId} in ${workout.id}`);
      return;
    }
    case "edit_workout": {
      const workout = pick(live(client, ledger, "workout"), step.target);
      if (!workout) return say("has no workout to rename");
      const refused = await client.update<"workout">(workout.id, (w) => {
        w.title = step.title;
      }).then(() => undefined, refusedIfDeleted);
      if (refused) return say(`could not rename ${workout.id}: ${refused.message}`);
      say(`renamed ${workout.id} to ${step.title}`);
      return;
    }
    case "delete_workout": {
      const workout = pick(live(client, ledger, "workout"), step.target);
      if (!workout) return say("has no workout to delete");
      const shown = setIdsOf(await client.get(workout.id));
      await client.delete(workout.id);
      ledger.markRemoved(shown, `workout deleted by ${where}`);
      say(`deleted workout ${workout.id} (${shown.join(", ") || "no sets"})`);
      return;
    }
    case "write_progression": {
      const progression = step.create ? undefined : pick(live(client, ledger, "progression"), step.target);
      if (progression) {
        await client.update<"progression">(progression.id, (p) => {
          p.targetWeight = step.weight;
        });
        return say(`set progression ${progression.id} to ${step.weight}`);
      }
      const id = await client.create("progression", {
        exerciseName: "Squat",
        targetWeight: step.weight,
        unit: "kg",
        targetSets: 5,
        targetReps: 5,
        increment: 2.5,
        notes: "",
      });
      ledger.entityCreated(id);
      return say(`created progression ${id}`);
    }
    case "write_profile": {
      const profile = live(client, ledger, "user_profile")[0];
      if (profile) {
        await client.update<"user_profile">(profile.id, (p) => {
          p.bodyweight = step.bodyweight;
        });
        return say(`set bodyweight ${step.bodyweight} on ${profile.id}`);
      }
      const id = await client.create("user_profile", { displayName: "Ada", preferredUnit: "kg", bodyweight: step.bodyweight, goals: "" });
      ledger.entityCreated(id);
      return say(`created profile ${id}`);
    }
    case "write_recovery": {
      const day = RECOVERY_DAYS[step.day]!;
      const entry = { sleepHours: step.sleepHours, soreness: null, readiness: null, note: "" };
      const recovery = live(client, ledger, "recovery")[0];
      if (recovery) {
        await client.update<"recovery">(recovery.id, (r) => {
          const existing = r.days[day];
          if (existing) existing.sleepHours = step.sleepHours;
          else r.days[day] = entry;
        });
        return say(`set ${day} sleep ${step.sleepHours} on ${recovery.id}`);
      }
      const id = await client.create("recovery", { days: { [day]: entry } });
      ledger.entityCreated(id);
      return say(`created recovery ${id}`);
    }
    case "write_volume": {
      const group = MUSCLE_GROUPS[step.group]!;
      const volume = live(client, ledger, "volume")[0];
      if (volume) {
        await client.update<"volume">(volume.id, (v) => {
          const existing = v.muscleGroups[group];
          if (existing) existing.sets = step.sets;
          else v.muscleGroups[group] = { sets: step.sets };
        });
        return say(`set ${group} ${step.sets} on ${volume.id}`);
      }
      const id = await client.create("volume", { weekStart: "2026-11-16", muscleGroups: { [group]: { sets: step.sets } } });
      ledger.entityCreated(id);
      return say(`created volume ${id}`);
    }
  }
}

async function resolve(ctx: StepContext, device: Device, target: number, choice: ConflictChoice): Promise<void> {
  const item = pick(ctx.ledger.byCreation(device.client.conflicts(), (c) => c.entityId), target);
  if (!item) {
    ctx.trace.count("resolve: nothing to resolve");
    return ctx.trace.add(`${device.name} has no conflict to resolve`);
  }
  await resolveConflict(device, item, choice, ctx.ledger, ctx.trace);
}

/**
 * The person chooses. Choosing one side drops the sets only the other side had: they saw both
 * and chose, so those count as removed on purpose. "merge" drops nothing.
 */
export async function resolveConflict(device: Device, item: SyncQueueItem, choice: ConflictChoice, ledger: Ledger, trace: Trace): Promise<void> {
  const { client } = device;
  const mine = setIdsOf(await client.get(item.entityId));
  const theirs = setIdsOf(item.conflict?.serverData);
  const dropped = choice === "mine" ? theirs.filter((s) => !mine.includes(s)) : choice === "theirs" ? mine.filter((s) => !theirs.includes(s)) : [];
  try {
    await client.resolveConflict(item.entityId, choice);
  } catch (err) {
    // A background sync may have settled the conflict meanwhile; anything else is a failure.
    if (err instanceof SyncError && err.code === Code.FAILED_PRECONDITION) return trace.add(`${device.name} resolve refused: ${err.message}`);
    throw err;
  }
  trace.count(`resolved: ${choice}`);
  ledger.markRemoved(dropped, `not chosen (${choice}) on ${device.name} at ${trace.where()}`);
  trace.add(`${device.name} resolved ${item.entityType} ${item.entityId} with ${choice}${dropped.length ? `, dropping ${dropped.join(", ")}` : ""}`);
}

async function restoreNotice(ctx: StepContext, device: Device, target: number): Promise<void> {
  const { client } = device;
  const ordered = ctx.ledger.byCreation(restorableNotices(device), (n) => n.entityId).sort((a, b) => a.at - b.at);
  const notice = pick(ordered, target);
  if (!notice) return ctx.trace.add(`${device.name} has no notice to restore`);
  await client.restoreResolution(notice.id);
  ctx.trace.count(`restored: ${notice.kind}`);
  ctx.trace.add(`${device.name} restored ${notice.kind} ${notice.path.join(".")} of ${notice.entityId}`);
}

/** Records of something lost and not restored yet; the others only inform. */
function restorableNotices(device: Device) {
  return device.client.resolutions().filter((n) => n.restorable);
}

/** A change refused because its entity was deleted meanwhile (the person is told); anything else is a failure. */
function deletedMeanwhile(err: unknown): err is SyncError {
  return err instanceof SyncError && (err.code === Code.FAILED_PRECONDITION || err.code === Code.NOT_FOUND);
}

function refusedIfDeleted(err: unknown): SyncError {
  if (deletedMeanwhile(err)) return err;
  throw err;
}

function firstWith(devices: Device[], from: number, has: (device: Device) => boolean): Device {
  for (let i = 0; i < devices.length; i++) {
    const device = devices[(from + i) % devices.length]!;
    if (has(device)) return device;
  }
  return devices[from % devices.length]!;
}

function live(client: IronFlowClient, ledger: Ledger, type: EntityType): EntityListItem[] {
  return ledger.byCreation(client.list(type), (item) => item.id);
}

function pick<T>(items: T[], index: number): T | undefined {
  return items.length === 0 ? undefined : items[index % items.length];
}

function newSet(ledger: Ledger, reps: number, weight: number): WorkoutSet {
  return { id: ledger.nextSetId(), reps, weight, unit: "kg", rpe: null, completed: true };
}
