// What the app shows about syncing, read from the engine and the queue.
// Specification: docs/sync-engine.md
import type { ResolutionCounts, ResolutionTally } from "../conflicts/resolution-tally.js";
import type { SyncQueue } from "../queue/sync-queue.js";
import { codeName } from "../../../schema/status.js";
import type { SyncEngine } from "./sync-engine.js";
import type { SyncProgress } from "./sync-types.js";

export interface SyncStatusSnapshot {
  online: boolean;
  queueDepth: number;
  lastSyncAt: number | null;
  lastError: { code: string; message: string } | null;
  conflicts: number;
  /** Items whose five retries failed; the person is told to check the connection and sync. */
  waitingForManualSync: number;
  /** Set while a sync pushes: done / total items. */
  progress: SyncProgress | null;
  /** Conflicts this device settled since the app opened, by kind (the kinds with a count). */
  settled: ResolutionCounts;
}

/** The device-side figures of the source's metrics. */
export interface SyncMetrics {
  queueDepth: number;
  /** Conflicts that needed the person, per item pushed. */
  conflictRate: number;
  /** Duration of recent successful syncs, ms. */
  syncLatencyMs: { last: number | null; p50: number | null; max: number | null };
  /** How many pending items have failed n times, by n. */
  retryCounts: Record<number, number>;
  waitingForManualSync: number;
  runs: number;
  failedRuns: number;
}

export function syncStatus(engine: SyncEngine, queue: SyncQueue, tally: ResolutionTally): SyncStatusSnapshot {
  const error = engine.error;
  return {
    online: engine.online,
    queueDepth: queue.depth,
    lastSyncAt: engine.lastSyncAt,
    lastError: error ? { code: codeName(error.code), message: error.message } : null,
    conflicts: queue.all().filter((item) => item.status === "conflict").length,
    waitingForManualSync: queue.waitingForManualSync().length,
    progress: engine.progress ? { ...engine.progress } : null,
    settled: tally.totals(),
  };
}

export function syncMetrics(engine: SyncEngine, queue: SyncQueue): SyncMetrics {
  const { totals } = engine;
  const retryCounts: Record<number, number> = {};
  for (const item of queue.pending()) retryCounts[item.retryCount] = (retryCounts[item.retryCount] ?? 0) + 1;
  return {
    queueDepth: queue.depth,
    conflictRate: totals.conflictRate,
    syncLatencyMs: totals.latencySummary(),
    retryCounts,
    waitingForManualSync: queue.waitingForManualSync().length,
    runs: totals.runs,
    failedRuns: totals.failedRuns,
  };
}
