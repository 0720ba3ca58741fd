// Every Clock runs the contract: the relay's system clock, and the fake clock that relay tests
// put in its place (test/support/fake-clock.ts).
import { systemClock } from "../../relay/clock.js";
import { FakeClock } from "../support/fake-clock.js";
import { runClockSuite } from "./clock-suite.js";

runClockSuite("systemClock", () => ({
  clock: systemClock,
  pass: (ms) => new Promise<void>((resolve) => systemClock.setTimeout(resolve, ms)),
}));

runClockSuite("FakeClock", () => {
  const clock = new FakeClock();
  return {
    clock,
    pass: (ms) => {
      clock.advance(ms);
      return Promise.resolve();
    },
  };
});
