// What the test knows independently of the system, kept as the steps run: which entities it
// created (in order, so steps pick targets deterministically), and for every set it ever made:
// where a device first answered it as saved, every (reps, weight) the person entered for it,
// the latest time the person removed it on purpose and the latest deliberate act that may have
// brought it back. The checker (checker.ts) judges the final state against this ledger alone.
// Also: a trace of the run, printed when the property fails.
import type { EntityDocument } from "../../schema/entities.js";

/** The property does not hold; the message says how (the runner adds the trace). */
export class PropertyViolation extends Error {
  override readonly name = "PropertyViolation";
  /** How often notable things happened in the run that failed (for PROPERTY_STATS). */
  counts?: Map<string, number>;
}

export class Trace {
  private readonly lines: string[] = [];
  /** How often each notable thing happened, for PROPERTY_STATS. */
  readonly counts = new Map<string, number>();
  /** The step running; -1 before the first (shared start) and again during heal. */
  step = -1;
  phase: "steps" | "heal" | "final" = "steps";

  /** live: told every line as it is added (to watch a run that hangs). */
  constructor(private readonly live?: (line: string) => void) {}

  count(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  add(line: string): void {
    const entry = `${this.where()}: ${line}`;
    this.lines.push(entry);
    this.live?.(entry);
  }

  /** "start", "step 7", "heal" or "final". */
  where(): string {
    return this.phase !== "steps" ? this.phase : this.step < 0 ? "start" : `step ${this.step}`;
  }

  tail(count = 200): string {
    const shown = this.lines.slice(-count);
    const skipped = this.lines.length - shown.length;
    return `${skipped > 0 ? `(${skipped} earlier lines)\n` : ""}${shown.join("\n")}`;
  }
}

export interface Removal {
  why: string;
  seq: number;
  /** Set when the set went with its whole workout (deleted, or a deleted side chosen). */
  workoutId?: string;
}

export interface SetFacts {
  id: string;
  /** Where a device first answered it as saved; undefined if none ever did. */
  saved?: string;
  /** Every (reps, weight) entered for it: at logging and at each edit. */
  entered: [reps: number, weight: number][];
  /** Whether the person ever removed it on purpose (then losing it is never a violation). */
  everRemoved: boolean;
  /** The latest removal on purpose. */
  removed?: Removal;
  /** The latest deliberate act that may have brought it back. */
  back?: { why: string; seq: number };
}

export class Ledger {
  private readonly created = new Map<string, number>();
  readonly sets = new Map<string, SetFacts>();
  private seq = 0;
  private exercises = 0;
  private workouts = 0;

  entityCreated(id: string): void {
    if (!this.created.has(id)) this.created.set(id, this.created.size);
  }

  /** Creation order; anything the test did not create (the exercise library) sorts last. */
  orderOf(id: string): number {
    return this.created.get(id) ?? Number.MAX_SAFE_INTEGER;
  }

  byCreation<T>(items: T[], idOf: (item: T) => string): T[] {
    return [...items].sort((a, b) => this.orderOf(idOf(a)) - this.orderOf(idOf(b)) || idOf(a).localeCompare(idOf(b)));
  }

  /** A new set id, with the values entered for it. */
  newSet(reps: number, weight: number): string {
    const id = `set-${this.sets.size + 1}`;
    this.sets.set(id, { id, entered: [[reps, weight]], everRemoved: false });
    return id;
  }

  nextExerciseId(): string {
    return `exercise-${++this.exercises}`;
  }

  /** Workouts an hour apart, so no two are flagged as one session logged twice. */
  nextWorkoutStart(): number {
    return Date.UTC(2026, 10, 1, 6) + ++this.workouts * 3_600_000;
  }

  facts(setId: string): SetFacts | undefined {
    return this.sets.get(setId);
  }

  markSaved(setId: string, where: string): void {
    const facts = this.sets.get(setId);
    if (facts && facts.saved === undefined) facts.saved = where;
  }

  entered(setId: string, reps: number, weight: number): void {
    this.sets.get(setId)?.entered.push([reps, weight]);
  }

  markRemoved(setIds: Iterable<string>, why: string, workoutId?: string): void {
    const seq = ++this.seq;
    for (const id of setIds) {
      const facts = this.sets.get(id);
      if (!facts) continue;
      facts.everRemoved = true;
      facts.removed = { why, seq, workoutId };
    }
  }

  /** A deliberate act whose result contains these sets (a conflict choice, a restore). */
  markBack(setIds: Iterable<string>, why: string): void {
    const seq = ++this.seq;
    for (const id of setIds) {
      const facts = this.sets.get(id);
      if (facts?.removed) facts.back = { why, seq };
    }
  }

  /** A deleted workout brought back on purpose: sets removed with it may come back too. */
  workoutRestored(workoutId: string, why: string): void {
    this.markBack(
      [...this.sets.values()].filter((f) => f.removed?.workoutId === workoutId).map((f) => f.id),
      why,
    );
  }

  /** Removed on purpose and not brought back by a later deliberate act. */
  staysRemoved(facts: SetFacts): boolean {
    return facts.removed !== undefined && !(facts.back && facts.back.seq > facts.removed.seq);
  }
}

/** A set as a workout document holds it, with the marker "merge both" leaves on a kept copy. */
export interface SetView {
  id: string;
  reps: number;
  weight: number;
  exerciseId: string;
  /** The set this one is a kept version of (when "merge both" kept two versions of one set). */
  keptFrom?: { setId: string; deviceId: string; deviceName: string };
}

/** The sets of a workout document (none for other types). */
export function setsOf(doc: unknown): SetView[] {
  const payload = (doc as Partial<EntityDocument> | undefined)?.payload as
    | { exercises?: { id?: string; sets?: { id?: unknown; reps?: number; weight?: number; keptFrom?: SetView["keptFrom"] }[] }[] }
    | undefined;
  const sets: SetView[] = [];
  for (const exercise of payload?.exercises ?? []) {
    for (const set of exercise.sets ?? []) {
      if (typeof set.id !== "string") continue;
      sets.push({ id: set.id, reps: set.reps ?? NaN, weight: set.weight ?? NaN, exerciseId: String(exercise.id), ...(set.keptFrom ? { keptFrom: set.keptFrom } : {}) });
    }
  }
  return sets;
}

/** Ids of the sets in a workout document (none for other types). */
export function setIdsOf(doc: unknown): string[] {
  return setsOf(doc).map((s) => s.id);
}

/** Whether a document is a workout that is not deleted. */
export function isLiveWorkout(doc: unknown): boolean {
  const d = doc as Partial<EntityDocument> | undefined;
  return d?.type === "workout" && d.deleted === null;
}

/** The first place two JSON values differ, as a path and both values; undefined when equal. */
export function firstDifference(a: unknown, b: unknown, path = "$"): string | undefined {
  if (a === b) return undefined;
  const bothObjects = typeof a === "object" && typeof b === "object" && a !== null && b !== null;
  if (!bothObjects || Array.isArray(a) !== Array.isArray(b)) return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    const found = firstDifference(left[key], right[key], `${path}.${key}`);
    if (found) return found;
  }
  return undefined;
}
