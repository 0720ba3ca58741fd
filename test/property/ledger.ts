// What the test knows independently of the devices: which entities it created (in order, so
// steps pick targets deterministically), which sets were shown as saved, which the person
// removed on purpose, and a trace of the run to print when the property fails.
import type { EntityDocument } from "../../schema/entities.js";

export class Trace {
  private readonly lines: string[] = [];
  /** How often each notable thing happened, for PROPERTY_STATS. */
  readonly counts = new Map<string, number>();
  /** The step running; -1 before the first (shared start) and again during heal. */
  step = -1;
  healing = false;

  count(key: string, by = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + by);
  }

  add(line: string): void {
    this.lines.push(`${this.where()}: ${line}`);
  }

  /** "start", "step 7" or "heal". */
  where(): string {
    return this.healing ? "heal" : this.step < 0 ? "start" : `step ${this.step}`;
  }

  tail(count = 200): string {
    const shown = this.lines.slice(-count);
    const skipped = this.lines.length - shown.length;
    return `${skipped > 0 ? `(${skipped} earlier lines)\n` : ""}${shown.join("\n")}`;
  }
}

export class Ledger {
  private readonly created = new Map<string, number>();
  /** Set id -> where it was shown as saved. */
  readonly saved = new Map<string, string>();
  /** Set ids the person removed: deleted the set or its workout, or chose the side without it. */
  readonly removedOnPurpose = new Map<string, string>();
  private sets = 0;
  private exercises = 0;
  private workouts = 0;

  entityCreated(id: string): void {
    if (!this.created.has(id)) this.created.set(id, this.created.size);
  }

  /** Creation order; anything the test did not create (nothing, normally) sorts last. */
  orderOf(id: string): number {
    return this.created.get(id) ?? Number.MAX_SAFE_INTEGER;
  }

  byCreation<T>(items: T[], idOf: (item: T) => string): T[] {
    return [...items].sort((a, b) => this.orderOf(idOf(a)) - this.orderOf(idOf(b)) || idOf(a).localeCompare(idOf(b)));
  }

  nextSetId(): string {
    return `set-${++this.sets}`;
  }

  nextExerciseId(): string {
    return `exercise-${++this.exercises}`;
  }

  /** Workouts an hour apart, so no two are flagged as one session logged twice. */
  nextWorkoutStart(): number {
    return Date.UTC(2026, 10, 1, 6) + ++this.workouts * 3_600_000;
  }

  markSaved(setId: string, where: string): void {
    if (!this.saved.has(setId)) this.saved.set(setId, where);
  }

  markRemoved(setIds: Iterable<string>, why: string): void {
    for (const id of setIds) if (!this.removedOnPurpose.has(id)) this.removedOnPurpose.set(id, why);
  }
}

/** Ids of the sets in a workout document (none for other types). */
export function setIdsOf(doc: unknown): string[] {
  const payload = (doc as Partial<EntityDocument> | undefined)?.payload as { exercises?: { sets?: { id?: unknown }[] }[] } | undefined;
  const ids: string[] = [];
  for (const exercise of payload?.exercises ?? []) for (const set of exercise.sets ?? []) if (typeof set.id === "string") ids.push(set.id);
  return ids;
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
