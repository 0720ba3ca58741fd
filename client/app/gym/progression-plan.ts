// What a progression says and how it steps: the target (sets × reps × weight) per exercise, and
// the next target once it is hit (the weight up by the progression's increment). Pure, so the
// screen and the tests share one rule.
import { progressionSchema, type Payloads } from "../../core/index.js";
import { toNumber } from "../workout-drafts.js";
import { fieldProblem } from "./form-save.js";

export type Progression = Payloads["progression"];

/** What the person typed, as text, before it is checked. */
export interface ProgressionDraft {
  exerciseName: string;
  targetWeight: string;
  unit: Progression["unit"];
  targetSets: string;
  targetReps: string;
  increment: string;
}

export type Checked = { ok: true; value: Progression } | { ok: false; message: string };

const FIELD_NAMES: Record<string, string> = {
  exerciseName: "Exercise",
  targetWeight: "Target weight",
  targetSets: "Sets",
  targetReps: "Reps",
  increment: "Step",
  notes: "Notes",
};

export function draftOf(p: Progression): ProgressionDraft {
  return {
    exerciseName: p.exerciseName,
    targetWeight: String(p.targetWeight),
    unit: p.unit,
    targetSets: String(p.targetSets),
    targetReps: String(p.targetReps),
    increment: String(p.increment),
  };
}

/** The draft as a progression, by the schema's own rules; the first problem in words when it is not one. */
export function checkProgression(draft: ProgressionDraft, notes = ""): Checked {
  const candidate = {
    exerciseName: draft.exerciseName.trim(),
    targetWeight: toNumber(draft.targetWeight),
    unit: draft.unit,
    targetSets: toNumber(draft.targetSets),
    targetReps: toNumber(draft.targetReps),
    increment: toNumber(draft.increment),
    notes,
  };
  const checked = progressionSchema.safeParse(candidate);
  if (checked.success) return { ok: true, value: checked.data };
  return { ok: false, message: fieldProblem(checked.error, FIELD_NAMES) };
}

/** The fields of `next` that differ from `current`: only those are written, so an edit touches what the person changed. */
export function changedFields(current: Progression, next: Progression): Partial<Progression> {
  const patch: Partial<Progression> = {};
  for (const key of Object.keys(next) as (keyof Progression)[]) {
    if (next[key] !== current[key]) Object.assign(patch, { [key]: next[key] });
  }
  return patch;
}

/**
 * The target once this one is hit: the same sets and reps, the weight up by the increment
 * (to 0.01 of a unit, so 2.5-steps never drift into 102.49999), never past the schema's limit.
 */
export function nextStep(p: Progression): Progression {
  const MAX_WEIGHT = 2000;
  const weight = Math.min(MAX_WEIGHT, Math.round((p.targetWeight + p.increment) * 100) / 100);
  return { ...p, targetWeight: weight };
}

/** "3 × 5 × 100 kg" */
export function describeTarget(p: Pick<Progression, "targetSets" | "targetReps" | "targetWeight" | "unit">): string {
  return `${p.targetSets} × ${p.targetReps} × ${p.targetWeight} ${p.unit}`;
}
