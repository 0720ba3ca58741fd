// The person's sets as CSV, one row per set: date, workout, exercise, set, reps, weight, unit,
// RPE. RFC 4180 quoting with CRLF line ends, so spreadsheets read it; text that a spreadsheet
// would run as a formula (starting with = + - @) is prefixed with an apostrophe.
import type { Payloads } from "../../core/index.js";

export const CSV_HEADER = ["date", "workout", "exercise", "set", "reps", "weight", "unit", "rpe"] as const;

export function workoutsCsv(workouts: Payloads["workout"][]): string {
  const rows: string[][] = [[...CSV_HEADER]];
  for (const workout of [...workouts].sort((a, b) => a.startedAt - b.startedAt)) {
    for (const exercise of workout.exercises) {
      exercise.sets.forEach((set, i) => {
        rows.push([
          localDateTime(workout.startedAt),
          text(workout.title),
          text(exercise.name),
          String(i + 1),
          String(set.reps),
          String(set.weight),
          set.unit,
          set.rpe === null ? "" : String(set.rpe),
        ]);
      });
    }
  }
  return rows.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
}

/** "2026-05-01 18:05", in the person's time zone (the one they logged in). */
export function localDateTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function text(value: string): string {
  return /^[=+\-@]/.test(value) ? `'${value}` : value;
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell;
}
