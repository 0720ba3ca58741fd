// The device's one clock and timer seam. Everything in the core that reads the time or waits
// (stamps, retry schedules, the 5-minute sync, reconnect back-off, request timeouts) goes through
// a Timers, so a test's fake timers reach all of it.
//
// Contract:
// - now() is wall time in ms since the epoch; it never goes backwards between two calls of one
//   Timers (a device whose clock is wrong still counts forward; the relay corrects the offset).
// - setTimeout(fn, ms) calls fn once, no sooner than ms after the call, unless cleared first;
//   it returns a handle for clearTimeout. A negative or zero delay runs fn on a later turn, never
//   inside setTimeout itself.
// - clearTimeout(handle) of a timer that fired or was cleared already does nothing.
// - random() is uniform in [0, 1): jitter, nothing secret.
// Specification: docs/sync-engine.md
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};
