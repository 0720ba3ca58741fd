// A clock the test moves by hand, implementing the scheduler's timers: nothing waits on real time.
import type { Timers } from "../../client/core/index.js";

export class FakeClock implements Timers {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private readonly randomValues: number[];

  constructor(start = Date.UTC(2026, 10, 25, 12), randomValues: number[] = [0.5]) {
    this.time = start;
    this.randomValues = randomValues;
  }

  now = (): number => this.time;

  random = (): number => {
    const value = this.randomValues.shift() ?? 0.5;
    this.randomValues.push(value);
    return value;
  };

  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers.delete(handle as number);
  };

  /** Pending timers, soonest first, as delays from now. */
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward, firing every timer that comes due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }
}
