// The relay's one seam for time. Nothing in relay/ reads Date.now or starts a timer itself: it
// asks the Clock that startRelay was given, so a test's fake clock reaches every rate limit,
// time stamp and timer. test/relay/clock.conformance.test.ts runs every implementation.
//
// Versions are stamped by the store with the database's clock (relay/store/sql-store.ts), read
// after the row lock is granted, so updatedAt follows the commit order across relay processes;
// that time is the database's, deliberately not this one.
// Specification: docs/relay.md

/** What setTimeout returns; only the clock that made it can clear it. */
export type TimerHandle = unknown;

/**
 * Contract:
 * - now() is the time in milliseconds since the Unix epoch. It moves forward as time passes
 *   (a fake clock: only when its test moves it). The system clock is the wall clock, which an
 *   operator may set back; callers measuring an interval treat a negative one as zero.
 * - setTimeout(fn, ms) calls fn once, when at least `ms` milliseconds of this clock's time have
 *   passed, never synchronously inside setTimeout (even for ms <= 0).
 * - Timers come due in order of due time, and timers due at the same time in the order they
 *   were set.
 * - clearTimeout(handle) before the timer fired means fn is never called. Clearing a handle that
 *   already fired or was cleared does nothing.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process's own time and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * A monotonic stopwatch for measurements only (metrics, the duration in a log line), never for
 * behaviour: the Clock above drives what the relay does, and a fake one would make every
 * measured duration zero. Returns a function giving the seconds since the stopwatch started.
 */
export function startStopwatch(): () => number {
  const start = performance.now();
  return () => (performance.now() - start) / 1000;
}
