// How one version of a workout differs from the other, for the side-by-side review: per set,
// added (only in this version), changed (which fields), or missing (in the other version only,
// shown struck through); titles and exercise names that differ. Sets and exercises are matched
// by id, as the merge matches them.
import type { Payloads, WorkoutSet } from "../../core/index.js";

type Workout = Payloads["workout"];
export type SetField = "reps" | "weight" | "unit" | "rpe";
const SET_FIELDS: SetField[] = ["reps", "weight", "unit", "rpe"];

export type SetMark = { kind: "same" } | { kind: "added" } | { kind: "changed"; fields: SetField[] } | { kind: "missing" };

export interface SetLine {
  set: WorkoutSet;
  /** Its number in this version; null for a set this version does not have. */
  number: number | null;
  mark: SetMark;
}

export interface ExerciseLines {
  id: string;
  name: string;
  nameChanged: boolean;
  /** Only in this version, or only in the other. */
  presence: "both" | "added" | "missing";
  sets: SetLine[];
}

export interface VersionLines {
  title: string;
  titleChanged: boolean;
  notes: string;
  notesChanged: boolean;
  exercises: ExerciseLines[];
  /** Counts, for a one-line summary. */
  counts: { added: number; changed: number; missing: number };
}

export function diffWorkout(version: Workout, other: Workout): VersionLines {
  const counts = { added: 0, changed: 0, missing: 0 };
  const exercises: ExerciseLines[] = version.exercises.map((exercise) => {
    const twin = other.exercises.find((e) => e.id === exercise.id);
    const sets: SetLine[] = exercise.sets.map((set, i) => {
      const otherSet = twin?.sets.find((s) => s.id === set.id);
      let mark: SetMark;
      if (!otherSet) mark = { kind: "added" };
      else {
        const fields = SET_FIELDS.filter((f) => set[f] !== otherSet[f]);
        mark = fields.length ? { kind: "changed", fields } : { kind: "same" };
      }
      if (mark.kind === "added") counts.added += 1;
      if (mark.kind === "changed") counts.changed += 1;
      return { set, number: i + 1, mark };
    });
    for (const otherSet of twin?.sets ?? []) {
      if (exercise.sets.some((s) => s.id === otherSet.id)) continue;
      counts.missing += 1;
      sets.push({ set: otherSet, number: null, mark: { kind: "missing" } });
    }
    return { id: exercise.id, name: exercise.name, nameChanged: !!twin && twin.name !== exercise.name, presence: twin ? "both" : "added", sets };
  });
  for (const otherExercise of other.exercises) {
    if (version.exercises.some((e) => e.id === otherExercise.id)) continue;
    counts.missing += otherExercise.sets.length;
    exercises.push({
      id: otherExercise.id,
      name: otherExercise.name,
      nameChanged: false,
      presence: "missing",
      sets: otherExercise.sets.map((set) => ({ set, number: null, mark: { kind: "missing" } })),
    });
  }
  return {
    title: version.title,
    titleChanged: version.title !== other.title,
    notes: version.notes,
    notesChanged: version.notes !== other.notes,
    exercises,
    counts,
  };
}

/** "2 sets added, 1 changed, 1 not here"; "" when the versions hold the same sets. */
export function summarizeDiff(counts: VersionLines["counts"]): string {
  const parts: string[] = [];
  if (counts.added) parts.push(`${counts.added} set${counts.added === 1 ? "" : "s"} only here`);
  if (counts.changed) parts.push(`${counts.changed} changed`);
  if (counts.missing) parts.push(`${counts.missing} not in this version`);
  return parts.join(", ");
}

export interface FieldLine {
  label: string;
  value: string;
  changed: boolean;
}

/** A progression, field by field, with the fields that differ from the other version. */
export function diffProgression(version: Payloads["progression"], other: Payloads["progression"]): FieldLine[] {
  const fields: [string, (p: Payloads["progression"]) => string][] = [
    ["Exercise", (p) => p.exerciseName],
    ["Target", (p) => `${p.targetSets} × ${p.targetReps} at ${p.targetWeight} ${p.unit}`],
    ["Increment", (p) => `${p.increment} ${p.unit}`],
    ["Notes", (p) => p.notes || "—"],
  ];
  return fields.map(([label, read]) => ({ label, value: read(version), changed: read(version) !== read(other) }));
}
