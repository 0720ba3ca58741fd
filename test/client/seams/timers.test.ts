// The system timers and the tests' fake clock run the same suite.
import { systemTimers } from "../../../client/core/clock/timers.js";
import { FakeClock } from "../../support/fake-clock.js";
import { runTimersSuite } from "./timers.suite.js";

runTimersSuite("system", () => ({
  timers: systemTimers,
  // The real clock's time passes only by waiting for it: this suite tests exactly that.
  advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms + 5)),
  resolutionMs: 1,
}));

runTimersSuite("fake clock (tests)", () => {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 12), [0.25, 0.75, 0.5]);
  return {
    timers: clock,
    advance: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
    resolutionMs: 0,
  };
});
