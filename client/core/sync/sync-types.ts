// What a sync run reports, and what it logs: read by the app, the tests and the benchmarks.
// Specification: docs/sync-engine.md
import type { SyncTrigger } from "./sync-scheduler.js";

export interface SyncReport {
  trigger: SyncTrigger;
  pushed: number;
  pulled: number;
  conflicts: number;
  errors: number;
}

export interface SyncProgress {
  done: number;
  total: number;
}

/** The source's debug log: one event per sync_attempt, sync_conflict, sync_success, sync_failed. */
export interface SyncLogger {
  event(name: string, fields: Record<string, unknown>): void;
}

/** The device-side counts behind the source's metrics. */
export class SyncTotals {
  pushed = 0;
  conflicts = 0;
  runs = 0;
  failedRuns = 0;
  /** Durations of recent successful runs, ms, oldest first. */
  readonly latencyMs: number[] = [];

  recordLatency(ms: number): void {
    this.latencyMs.push(ms);
    if (this.latencyMs.length > 100) this.latencyMs.shift();
  }

  /** Conflicts that needed the person, per item pushed. */
  get conflictRate(): number {
    return this.pushed === 0 ? 0 : this.conflicts / this.pushed;
  }

  latencySummary(): { last: number | null; p50: number | null; max: number | null } {
    const sorted = [...this.latencyMs].sort((a, b) => a - b);
    return {
      last: this.latencyMs.at(-1) ?? null,
      p50: sorted[Math.floor(sorted.length / 2)] ?? null,
      max: sorted.at(-1) ?? null,
    };
  }
}

export function emptyReport(trigger: SyncTrigger): SyncReport {
  return { trigger, pushed: 0, pulled: 0, conflicts: 0, errors: 0 };
}
