// The clock seam's contract (client/core/clock/timers.ts), clause by clause. The system timers
// and the tests' fake clock run it: the fake stands in for the real one because it passes.
import { describe, expect, it } from "vitest";
import type { Timers } from "../../../client/core/clock/timers.js";

export interface TimersFixture {
  timers: Timers;
  /** Lets `ms` of this clock's time pass (the fake moves its hands; the real one waits). */
  advance: (ms: number) => Promise<void>;
  /**
   * How far `now()` may read short of a delay that has passed: the system clock's reading is a
   * whole millisecond and Node's timers count on another clock, so a 30 ms timer can read 29
   * (seen in a CI run); the fake is exact.
   */
  resolutionMs: number;
}

export function runTimersSuite(name: string, setup: () => TimersFixture): void {
  describe(`timers: ${name}`, () => {
    it("now never goes backwards and moves forward as time passes", async () => {
      const { timers, advance } = setup();
      const first = timers.now();
      expect(timers.now()).toBeGreaterThanOrEqual(first);
      await advance(20);
      expect(timers.now()).toBeGreaterThanOrEqual(first + 20);
    });

    it("a timer fires once, no sooner than its delay", async () => {
      const { timers, advance, resolutionMs } = setup();
      const start = timers.now();
      const fired: number[] = [];
      timers.setTimeout(() => fired.push(timers.now()), 30);
      await advance(5);
      expect(fired).toEqual([]);
      await advance(60);
      expect(fired).toHaveLength(1);
      expect(fired[0]! - start).toBeGreaterThanOrEqual(30 - resolutionMs);
      await advance(60);
      expect(fired).toHaveLength(1);
    });

    it("a cleared timer never fires; clearing a fired or cleared one does nothing", async () => {
      const { timers, advance } = setup();
      let fired = 0;
      const handle = timers.setTimeout(() => (fired += 1), 10);
      timers.clearTimeout(handle);
      const other = timers.setTimeout(() => (fired += 10), 10);
      await advance(40);
      timers.clearTimeout(other);
      timers.clearTimeout(handle);
      expect(fired).toBe(10);
    });

    it("a zero or negative delay runs on a later turn, never inside setTimeout", async () => {
      const { timers, advance } = setup();
      const order: string[] = [];
      timers.setTimeout(() => order.push("zero"), 0);
      timers.setTimeout(() => order.push("negative"), -5);
      order.push("after setTimeout");
      await advance(5);
      expect(order[0]).toBe("after setTimeout");
      expect(order.slice(1).sort()).toEqual(["negative", "zero"]);
    });

    it("random is in [0, 1)", () => {
      const { timers } = setup();
      for (let i = 0; i < 100; i++) {
        const r = timers.random();
        expect(r >= 0 && r < 1).toBe(true);
      }
    });
  });
}
