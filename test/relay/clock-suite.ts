// The Clock contract (relay/clock.ts), clause by clause. Every implementation runs it: the
// system clock, and any fake before it stands in for the system clock in a relay test.
import { describe, expect, it } from "vitest";
import type { Clock } from "../../relay/clock.js";

export interface ClockHarness {
  clock: Clock;
  /**
   * Lets `ms` of the clock's time pass and resolves after every timer that came due meanwhile
   * has run: a fake moves its time; the system clock waits on a timer of its own, set after the
   * test's timers so it runs after those due at the same time.
   */
  pass: (ms: number) => Promise<void>;
}

/** Timers may be rounded to the millisecond; the system's fire up to this early by now(). */
const ROUNDING_MS = 1;

export function runClockSuite(name: string, setup: () => ClockHarness): void {
  describe(`Clock contract: ${name}`, () => {
    it("now() is milliseconds since the Unix epoch and moves forward as time passes", async () => {
      const { clock, pass } = setup();
      const before = clock.now();
      expect(Number.isSafeInteger(before)).toBe(true);
      expect(before).toBeGreaterThan(Date.UTC(2020, 0, 1));
      await pass(20);
      expect(clock.now() - before).toBeGreaterThanOrEqual(20 - ROUNDING_MS);
    });

    it("a timer runs once, when its delay has passed by the clock's own time", async () => {
      const { clock, pass } = setup();
      const setAt = clock.now();
      const runs: number[] = [];
      clock.setTimeout(() => runs.push(clock.now()), 15);
      await pass(15);
      expect(runs).toHaveLength(1);
      expect(runs[0]! - setAt).toBeGreaterThanOrEqual(15 - ROUNDING_MS);
      await pass(30);
      expect(runs).toHaveLength(1);
    });

    it("a timer never runs inside setTimeout, even with a delay of zero or less", async () => {
      const { clock, pass } = setup();
      let runs = 0;
      clock.setTimeout(() => (runs += 1), 0);
      clock.setTimeout(() => (runs += 1), -5);
      expect(runs).toBe(0);
      await pass(0);
      expect(runs).toBe(2);
    });

    it("timers run in order of due time, and those due together in the order they were set", async () => {
      const { clock, pass } = setup();
      const order: string[] = [];
      clock.setTimeout(() => order.push("a, due at 20"), 20);
      clock.setTimeout(() => order.push("b, due at 20"), 20);
      clock.setTimeout(() => order.push("c, due at 10"), 10);
      await pass(20);
      expect(order).toEqual(["c, due at 10", "a, due at 20", "b, due at 20"]);
    });

    it("a timer cleared before it came due never runs; clearing again, or after it ran, does nothing", async () => {
      const { clock, pass } = setup();
      let cleared = 0;
      let ran = 0;
      const never = clock.setTimeout(() => (cleared += 1), 10);
      const once = clock.setTimeout(() => (ran += 1), 0);
      clock.clearTimeout(never);
      await pass(20);
      clock.clearTimeout(never);
      clock.clearTimeout(once);
      expect(cleared).toBe(0);
      expect(ran).toBe(1);
    });
  });
}
