// What a person types, before it is a workout: text fields as typed, turned into payload values
// (checked by the schema's own rules) only when saved.
import { workoutSetSchema, type Payloads, type WorkoutSet } from "../core/index.js";

export type Unit = WorkoutSet["unit"];

export interface SetDraft {
  reps: string;
  weight: string;
  unit: Unit;
  rpe: string;
}

export interface ExerciseDraft {
  key: string;
  name: string;
  sets: SetDraft[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** Ids for sets and exercises. getRandomValues, unlike randomUUID, works on a plain-http LAN address. */
export function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(9)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function emptySet(unit: Unit = "kg"): SetDraft {
  return { reps: "", weight: "", unit, rpe: "" };
}

/** The next set starts as a copy of the one before: the common case is "same again". */
export function nextSet(previous: SetDraft | undefined): SetDraft {
  return previous ? { ...previous } : emptySet();
}

export function emptyExercise(): ExerciseDraft {
  return { key: newId(), name: "", sets: [emptySet()] };
}

export function setToDraft(set: Pick<WorkoutSet, "reps" | "weight" | "unit" | "rpe">): SetDraft {
  return { reps: String(set.reps), weight: String(set.weight), unit: set.unit, rpe: set.rpe === null ? "" : String(set.rpe) };
}

export function parseSet(draft: SetDraft, id: string, label: string): Parsed<WorkoutSet> {
  const candidate = {
    id,
    reps: toNumber(draft.reps),
    weight: toNumber(draft.weight),
    unit: draft.unit,
    rpe: draft.rpe.trim() === "" ? null : toNumber(draft.rpe),
    completed: true,
  };
  const parsed = workoutSetSchema.safeParse(candidate);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, message: `${label}: ${String(issue?.path[0] ?? "value")} ${describe(issue?.message)}` };
}

export function parseWorkout(title: string, exercises: ExerciseDraft[], startedAt: number): Parsed<Payloads["workout"]> {
  const named = exercises.filter((e) => e.name.trim() !== "" || e.sets.some((s) => s.reps !== "" || s.weight !== ""));
  if (named.length === 0) return { ok: false, message: "Add at least one exercise" };
  const out: Payloads["workout"]["exercises"] = [];
  for (const [i, exercise] of named.entries()) {
    const name = exercise.name.trim();
    if (!name) return { ok: false, message: `Exercise ${i + 1} needs a name` };
    const sets: WorkoutSet[] = [];
    for (const [j, draft] of exercise.sets.entries()) {
      const set = parseSet(draft, newId(), `${name}, set ${j + 1}`);
      if (!set.ok) return set;
      sets.push(set.value);
    }
    out.push({ id: exercise.key, name, sets });
  }
  return { ok: true, value: { title: title.trim(), startedAt, completedAt: null, notes: "", exercises: out } };
}

/** A number as typed ("82,5" is 82.5); nothing typed is NaN, which the schema refuses. */
export function toNumber(text: string): number {
  const trimmed = text.trim().replace(",", ".");
  return trimmed === "" ? Number.NaN : Number(trimmed);
}

function describe(message: string | undefined): string {
  if (!message || /expected number, received NaN/i.test(message)) return "needs a number";
  return message.toLowerCase();
}
