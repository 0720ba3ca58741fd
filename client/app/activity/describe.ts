// A resolution record in words: what happened, to what, and what was lost.
// Kinds and paths: docs/conflicts.md ("Resolution records").
import type { LostSet, ResolutionEntry } from "../../core/index.js";

export interface Described {
  headline: string;
  detail: string;
  /** What was lost, one line each; empty when nothing was. */
  lost: string[];
}

const PROFILE_FIELDS: Record<string, string> = {
  displayName: "display name",
  preferredUnit: "preferred unit",
  bodyweight: "bodyweight",
  goals: "goals",
};

const PROGRESSION_FIELDS: Record<string, string> = {
  exerciseName: "exercise",
  targetWeight: "target weight",
  unit: "unit",
  targetSets: "target sets",
  targetReps: "target reps",
  increment: "increment",
  notes: "notes",
};

export function describeResolution(entry: ResolutionEntry, title: string): Described {
  const losing = entry.losing?.name || "another device";
  const named = `“${title}”`;
  switch (entry.kind) {
    case "overwritten":
      return { ...overwritten(entry, named, losing), lost: [lostValue(entry.lost)] };
    case "edit_lost_to_delete":
      return {
        headline: `${named} was deleted, and an edit from ${losing} was lost`,
        detail: "The delete was the later change. Restore brings it back with the edit.",
        lost: entry.lost.sets ? entry.lost.sets.map(describeLostSet) : entry.lost.value !== undefined ? [`Lost: ${formatValue(entry.lost.value)}`] : [],
      };
    case "restored_by_edit":
      return {
        headline: `${named} was brought back by an edit`,
        detail: `It was deleted on ${losing}, but an edit made later brought it back with everything in it.`,
        lost: [],
      };
    case "dropped_by_merge":
      return {
        headline: `${named}: sets a merge could not place`,
        detail: "They were logged into an exercise the other device removed, or changed on one device and removed on the other.",
        lost: (entry.lost.sets ?? []).map(describeLostSet),
      };
    case "kept_both":
      return {
        headline: `${named}: two versions of a set kept`,
        detail: "Both devices changed the same set. Both versions are in the workout; the second is marked with its device.",
        lost: [],
      };
  }
}

function overwritten(entry: ResolutionEntry, named: string, losing: string): Omit<Described, "lost"> {
  const [, field, key] = entry.path;
  switch (entry.entityType) {
    case "user_profile":
      return { headline: `Profile: ${PROFILE_FIELDS[field ?? ""] ?? field ?? "a value"} overwritten`, detail: `A later change replaced the value from ${losing}.` };
    case "recovery":
      return { headline: `Recovery for ${key ?? "a day"} replaced`, detail: `A later entry for that day replaced the one from ${losing}.` };
    case "workout":
      return { headline: `${named}: ${workoutPlace(entry.path)} changed on two devices`, detail: `One value was kept; the one from ${losing} was replaced.` };
    case "progression":
      return { headline: `${named}: ${PROGRESSION_FIELDS[field ?? ""] ?? "a value"} changed on two devices`, detail: `One value was kept; the one from ${losing} was replaced.` };
    default:
      return { headline: `${named}: a value was overwritten`, detail: `The value from ${losing} was replaced.` };
  }
}

/** ["payload", "exercises", "[ex-1]", "name"] → "an exercise name". */
function workoutPlace(path: string[]): string {
  const last = path.at(-1);
  if (path.length <= 2) return last === "title" ? "the title" : last === "notes" ? "the notes" : (last ?? "a value");
  if (last === "name") return "an exercise name";
  if (path.includes("sets")) return "a set";
  return "a value";
}

function lostValue(lost: ResolutionEntry["lost"]): string {
  return "value" in lost && lost.value !== undefined ? `Lost: ${formatValue(lost.value)}` : "Lost: the value was removed on the other device";
}

export function describeLostSet({ exerciseName, set }: LostSet): string {
  return `${exerciseName}: ${set.reps} × ${set.weight} ${set.unit}${set.rpe === null ? "" : ` @ RPE ${set.rpe}`}`;
}

/** A lost value, readable: a recovery day as its fields, text quoted. */
export function formatValue(value: unknown): string {
  if (value === null) return "nothing";
  if (typeof value === "string") return `“${value}”`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  if (typeof value === "object") {
    const day = value as Record<string, unknown>;
    if ("sleepHours" in day) {
      const parts = [
        day.sleepHours !== null && `sleep ${formatValue(day.sleepHours)} h`,
        day.soreness !== null && `soreness ${formatValue(day.soreness)}`,
        day.readiness !== null && `readiness ${formatValue(day.readiness)}`,
        typeof day.note === "string" && day.note !== "" && `“${day.note}”`,
      ];
      return parts.filter(Boolean).join(", ") || "an empty entry";
    }
    return Object.entries(day)
      .map(([k, v]) => `${k} ${formatValue(v)}`)
      .join(", ");
  }
  return value === undefined ? "nothing" : typeof value;
}
