// The source's retry schedule, per item: after the first failed attempt, five retries at 30 s,
// 1 min, 5 min, 15 min and 1 h, each with jitter so devices that failed together do not retry
// in lockstep. When those five retries have failed too, the item waits for a manual sync.
// Specification: docs/sync-engine.md
export const RETRY_SCHEDULE_SECONDS = [30, 60, 300, 900, 3600] as const;

/** ±20 %: enough to spread a crowd, small enough to keep the schedule recognisable. */
export const JITTER = 0.2;

/** When an item that has failed `retryCount` times may be tried again; null = manual sync only. */
export function nextAttemptAt(retryCount: number, failedAt: number, random: () => number): number | null {
  if (retryCount <= 0) return failedAt;
  const seconds = RETRY_SCHEDULE_SECONDS[retryCount - 1];
  if (seconds === undefined) return null;
  return failedAt + Math.round(seconds * 1000 * (1 + JITTER * (2 * random() - 1)));
}

export function waitsForManualSync(retryCount: number): boolean {
  return retryCount > RETRY_SCHEDULE_SECONDS.length;
}
