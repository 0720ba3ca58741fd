// What to do when this device and the relay changed the same entity concurrently: the type's
// strategy from schema/strategies.ts, plus the delete-against-edit rule every type shares.
// Pure: JSON in, a target out. The target is always Automerge's merge of both sides with the
// fewest places changed (the entity store writes only the difference), never one side's payload
// written over the merge: whatever the rule does not touch keeps every change from every device.
// Specification: docs/conflicts.md
import {
  assertNever,
  type DeviceRef,
  type EntityDocument,
  type Payloads,
  type WorkoutSet,
} from "../../../schema/entities.js";
import { deepEqual } from "../../../schema/json.js";
import { ResolutionKind } from "../../../schema/protocol/frames.js";
import { CONFLICT_STRATEGIES } from "../../../schema/strategies.js";
import { changedSets, deviceOf, editLostToDelete, lostValue, setsOf, type ResolutionDraft } from "../entities/lost-work.js";
import { conflictingLeaves, getAt, setAt, type JsonPath } from "../entities/three-way.js";

export interface Sides {
  /** The document at the last version both sides shared (undefined when unknown). */
  base: EntityDocument | undefined;
  local: EntityDocument;
  server: EntityDocument;
}

export interface Settlement {
  target: EntityDocument;
  records: ResolutionDraft[];
  /** How it was settled, as the device counts it (docs/observability.md). */
  kind: ResolutionKind;
}

export type ConflictChoice = "mine" | "theirs" | "merge";

/**
 * The order of two writes, whatever the devices' clocks say: the write built on the newer server
 * version came later (it saw more); between writes on the same version, the hybrid logical clock,
 * whose wall time each device corrects to the relay's clock.
 */
export interface WriteKey {
  baseVersion: number;
  hlc: string;
}

export function writeKey(doc: EntityDocument): WriteKey {
  return { baseVersion: doc.baseVersion, hlc: doc.hlc };
}

function tombstoneKey(doc: EntityDocument): WriteKey {
  return { baseVersion: doc.deleted?.baseVersion ?? 0, hlc: doc.deleted?.hlc ?? "" };
}

export function isLater(a: WriteKey, b: WriteKey): boolean {
  return a.baseVersion !== b.baseVersion ? a.baseVersion > b.baseVersion : a.hlc > b.hlc;
}

/** Whether the person must choose: a user-choice type edited on both sides, no delete involved. */
export function asksPerson({ local, server }: Sides): boolean {
  return CONFLICT_STRATEGIES[local.type].strategy === "user_choice" && local.deleted === null && server.deleted === null;
}

/** The automatic settlement of a concurrent change, on top of `merged`. */
export function settleAutomatically(sides: Sides, merged: EntityDocument): Settlement {
  const target = structuredClone(merged);
  const records: ResolutionDraft[] = [];
  const tombstone = deleteAgainstEdit(sides, merged);
  let winner = isLater(writeKey(sides.local), writeKey(sides.server)) ? sides.local : sides.server;
  if (tombstone) {
    target.deleted = structuredClone(tombstone.deleted);
    records.push(...tombstone.records);
    winner = tombstone.winner;
  }
  const rule = CONFLICT_STRATEGIES[sides.local.type];
  let kind: ResolutionKind;
  switch (rule.strategy) {
    case "user_choice":
      // Only reached with a delete involved: the payloads merge, keeping both versions of a set.
      records.push(...mergeBoth(sides, target));
      kind = ResolutionKind.DELETE_VS_EDIT;
      break;
    case "server_authoritative":
      target.payload = structuredClone(sides.server.payload);
      kind = ResolutionKind.SERVER_AUTHORITATIVE;
      break;
    case "last_write_wins":
      records.push(...lastWriteWins(sides, target, () => false));
      kind = ResolutionKind.LAST_WRITE_WINS;
      break;
    case "last_write_wins_per_day":
      records.push(...lastWriteWins(sides, target, (path) => path.length === 3 && path[1] === "days"));
      kind = ResolutionKind.LAST_WRITE_WINS;
      break;
    case "max_per_group":
      maxPerGroup(sides, target);
      kind = ResolutionKind.MAX_MERGE;
      break;
    default:
      return assertNever(rule.strategy);
  }
  records.push(...separateRepeatedSets(target));
  // A settlement is not a new write: it carries the later write's stamp, so a third device's
  // write is still ordered against the writes the person made, not against when this one settled.
  copyStamp(winner, target);
  // A delete on either side decides first, whatever the type's rule did with the payloads.
  return { target, records, kind: tombstone ? ResolutionKind.DELETE_VS_EDIT : kind };
}

/** The person's choice for a kept conflict, on top of `merged`. The caller stamps it as a new write. */
export function applyChoice(choice: ConflictChoice, sides: Sides, merged: EntityDocument): Settlement {
  const target = structuredClone(merged);
  switch (choice) {
    case "mine":
    case "theirs": {
      // The person saw both versions and picked one: what only the other had is dropped on purpose.
      const chosen = choice === "mine" ? sides.local : sides.server;
      target.payload = structuredClone(chosen.payload);
      target.deleted = structuredClone(chosen.deleted);
      return { target, records: separateRepeatedSets(target), kind: choice === "mine" ? ResolutionKind.CHOSE_MINE : ResolutionKind.CHOSE_THEIRS };
    }
    case "merge": {
      // A side deleted since the conflict was kept (the person deleted the workout here while it
      // waited): merging both is then delete against edit, as a settlement without asking does
      // it. The merged document carried the tombstone and hid, unrecorded, the sets only the other
      // side had (found by the property, seed 20261204, run 167).
      const tombstone = deleteAgainstEdit(sides, merged);
      if (tombstone) target.deleted = structuredClone(tombstone.deleted);
      const records = [...(tombstone?.records ?? []), ...mergeBoth(sides, target)];
      return { target, records: [...records, ...separateRepeatedSets(target)], kind: ResolutionKind.CHOSE_MERGE };
    }
    default:
      return assertNever(choice);
  }
}

interface TombstoneDecision {
  deleted: EntityDocument["deleted"];
  winner: EntityDocument;
  records: ResolutionDraft[];
}

/**
 * Delete against edit: the later write wins (writeKey order). A delete that wins leaves the
 * merged content in the tombstoned document, so the lost edit can be restored; an edit that wins
 * clears the tombstone on the merge, so every set any device saved is there.
 */
function deleteAgainstEdit({ base, local, server }: Sides, merged: EntityDocument): TombstoneDecision | undefined {
  if (local.deleted === null && server.deleted === null) return undefined;
  if (local.deleted !== null && server.deleted !== null) {
    return { deleted: merged.deleted, winner: isLater(tombstoneKey(local), tombstoneKey(server)) ? local : server, records: [] };
  }
  const [deleter, editor] = local.deleted !== null ? [local, server] : [server, local];
  const restored = base !== undefined && base.deleted !== null && editor.deleted === null;
  const edited = base === undefined || restored || !deepEqual(editor.payload, base.payload);
  if (!edited) return { deleted: deleter.deleted, winner: deleter, records: [] };
  if (isLater(tombstoneKey(deleter), writeKey(editor))) {
    return { deleted: deleter.deleted, winner: deleter, records: [editLostToDelete(base, editor)] };
  }
  return {
    deleted: null,
    winner: editor,
    records: [{ kind: "restored_by_edit", path: ["deleted"], lost: {}, losing: deviceOf(deleter) }],
  };
}

/** Field by field (or unit by unit), the later write's value; the other is recorded. */
function lastWriteWins({ base, local, server }: Sides, target: EntityDocument, isUnit: (path: JsonPath) => boolean): ResolutionDraft[] {
  const localWins = isLater(writeKey(local), writeKey(server));
  const loser = localWins ? server : local;
  return conflictingLeaves(base?.payload, local.payload, server.payload, (path) => isUnit(path), ["payload"]).flatMap((c): ResolutionDraft[] => {
    const [win, lose] = localWins ? [c.local, c.server] : [c.server, c.local];
    if (!setAt(target, c.path, win)) return [];
    return [{ kind: "overwritten", path: c.path, lost: lostValue(lose), losing: deviceOf(loser) }];
  });
}

function maxPerGroup({ local, server }: Sides, target: EntityDocument): void {
  type Groups = Record<string, { sets: number }>;
  const l = (local.payload as { muscleGroups: Groups }).muscleGroups;
  const s = (server.payload as { muscleGroups: Groups }).muscleGroups;
  const t = (target.payload as { muscleGroups: Groups }).muscleGroups;
  for (const group of new Set([...Object.keys(l), ...Object.keys(s)])) {
    const sets = Math.max(l[group]?.sets ?? 0, s[group]?.sets ?? 0);
    if (t[group]?.sets !== sets) t[group] = { sets };
  }
}

const isSet = (path: JsonPath) => path.length === 5 && path[1] === "exercises" && path[3] === "sets";

/**
 * "Merge both" on top of Automerge's merge: a set both sides changed differently is kept twice
 * (the relay's version under its id, this device's beside it, marked), never blended field by
 * field; another value both changed keeps Automerge's pick and records the other; sets new or
 * changed on one side that the merge could not place are recorded for restoring.
 */
function mergeBoth(sides: Sides, target: EntityDocument): ResolutionDraft[] {
  const { base, local, server } = sides;
  const records: ResolutionDraft[] = [];
  for (const c of conflictingLeaves(base?.payload, local.payload, server.payload, isSet, ["payload"])) {
    if (isSet(c.path) && c.local !== undefined && c.server !== undefined) {
      if (keepBothVersions(target, c.path, c.server as WorkoutSet, c.local as WorkoutSet, deviceOf(local))) {
        records.push({ kind: "kept_both", path: c.path, lost: {}, losing: null });
      }
      continue;
    }
    const kept = getAt(target, c.path);
    const localKept = deepEqual(kept, c.local);
    records.push({ kind: "overwritten", path: c.path, lost: lostValue(localKept ? c.server : c.local), losing: deviceOf(localKept ? server : local) });
  }
  for (const side of [local, server]) {
    const dropped = changedSets(base, side).filter((entry) => !hasSet(target, entry.set.id));
    if (dropped.length > 0) records.push({ kind: "dropped_by_merge", path: ["payload"], lost: { sets: dropped }, losing: deviceOf(side) });
  }
  return records;
}

/** The set at `path` becomes `kept`; `other` goes right after it under an id of its own. */
function keepBothVersions(target: EntityDocument, path: JsonPath, kept: WorkoutSet, other: WorkoutSet, from: DeviceRef): boolean {
  const sets = getAt(target, path.slice(0, -1)) as WorkoutSet[] | undefined;
  const at = sets?.findIndex((s) => s.id === kept.id) ?? -1;
  if (!sets || at < 0) return false;
  sets[at] = structuredClone(kept);
  const id = `${kept.id}~${from.id.slice(0, 8)}`.slice(0, 64);
  if (!sets.some((s) => s.id === id)) sets.splice(at + 1, 0, { ...structuredClone(other), id, keptFrom: { setId: kept.id, device: from } });
  return true;
}

/**
 * Two devices that each brought the same set (or exercise) back, concurrently, leave two list
 * elements with one id. Copies that are equal become one; a copy that differs is kept beside the
 * first under an id of its own, marked, as "merge both" keeps two versions. An exercise's copies
 * become one exercise holding the sets of all of them. Every device that settles the same
 * document does the same, because the merged list is in the same order everywhere.
 */
function separateRepeatedSets(target: EntityDocument): ResolutionDraft[] {
  if (target.type !== "workout") return [];
  const records: ResolutionDraft[] = [];
  const exercises: Payloads["workout"]["exercises"] = [];
  for (const exercise of target.payload.exercises) {
    const first = exercises.find((e) => e.id === exercise.id);
    if (first) first.sets.push(...exercise.sets);
    else exercises.push(exercise);
  }
  for (const exercise of exercises) {
    const sets: WorkoutSet[] = [];
    for (const set of exercise.sets) {
      const first = sets.find((s) => s.id === set.id);
      if (!first) {
        sets.push(set);
        continue;
      }
      if (deepEqual(first, set) || sets.some((s) => s.keptFrom?.setId === set.id && sameValues(s, set))) continue;
      const id = `${set.id}~${sets.filter((s) => s.keptFrom?.setId === set.id).length + 2}`.slice(0, 64);
      sets.splice(sets.indexOf(first) + 1, 0, { ...set, id, keptFrom: { setId: set.id, device: UNKNOWN_DEVICE } });
      records.push({ kind: "kept_both", path: ["payload", "exercises", `[${exercise.id}]`, "sets", `[${set.id}]`], lost: {}, losing: null });
    }
    exercise.sets = sets;
  }
  target.payload.exercises = exercises;
  return records;
}

/** Two devices brought a set back, each its own version; which device a copy came from is not known. */
const UNKNOWN_DEVICE: DeviceRef = { id: "unknown", name: "another device" };

function sameValues(a: WorkoutSet, b: WorkoutSet): boolean {
  return a.reps === b.reps && a.weight === b.weight && a.unit === b.unit && a.rpe === b.rpe && a.completed === b.completed;
}

function hasSet(doc: EntityDocument, setId: string): boolean {
  return setsOf(doc).some((entry) => entry.set.id === setId);
}

function copyStamp(from: EntityDocument, to: EntityDocument): void {
  to.updatedAt = from.updatedAt;
  to.deviceId = from.deviceId;
  to.deviceName = from.deviceName;
  to.hlc = from.hlc;
  to.baseVersion = from.baseVersion;
}
