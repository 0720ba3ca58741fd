// The connection a relay sends its pokes on goes dark (a path that drops packets: no error comes
// for minutes). Pokes leave one after another on that one connection, so without a bound on each
// NOTIFY every later poke waits behind the stuck one, and so does every answer (a batch is
// answered once its pokes have left, up to sentWaitMs): the relay's other devices would never hear
// of a change again. With sendTimeoutMs the stuck NOTIFY is given up, the next poke goes on a new
// connection, and the lost one is brought by the next cursor check.
// Real parts: two relays' SyncServices and cross-relay fan-outs on LISTEN/NOTIFY over one schema,
// devices on real sockets, relay A's link to Postgres for its fan-out through a proxy that
// blackholes; the relays' timers run on a fake clock the test moves.
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/devices.js";
import { FakeClock } from "../support/fake-clock.js";
import { Cleanups, guard, logWorkouts, openTestDevice } from "../faults/fixtures.js";
import { CURSOR_CHECK_MS, twoRelaysOnNotify } from "./two-relays-on-notify.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const SENT_WAIT_MS = 3_000;
const SEND_TIMEOUT_MS = 7_000;

/** Resolves once a timer of `ms` is set on `clock` (the relay reached the wait the test moves past). */
function timerSet(clock: FakeClock, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const set = clock.setTimeout;
    clock.setTimeout = (fn, delay) => {
      if (delay === ms) resolve();
      return set(fn, delay);
    };
  });
}

describe("a relay whose connection for pokes goes dark", { timeout: 60_000 }, () => {
  it("gives up the stuck poke, sends the next on a new connection, and loses nothing", async () => {
    const { clock, linkOfA, relayA, relayB } = await twoRelaysOnNotify(cleanups, { fanout: { sentWaitMs: SENT_WAIT_MS }, backbone: { sendTimeoutMs: SEND_TIMEOUT_MS } });

    const phone = await openTestDevice(cleanups, "phone", relayA.syncUrl);
    const tablet = await openTestDevice(cleanups, "tablet", relayB.syncUrl);
    await phone.syncNow();
    await tablet.syncNow();
    // The dark connection holds a query; closing the fan-outs waits for it to end.
    cleanups.add(() => {
      linkOfA.pass();
      linkOfA.cut();
    });
    const has = (id: string) => tablet.list("workout").some((w) => w.id === id);

    const [first] = await logWorkouts(phone, "Monday", 1);
    await phone.syncNow();
    await guard(waitFor(tablet, () => has(first!)), 20_000, () => "the first workout never reached the tablet");

    linkOfA.blackhole();
    const [stalled] = await logWorkouts(phone, "Stalled", 1);
    const stuck = timerSet(clock, SEND_TIMEOUT_MS);
    const answerWaits = timerSet(clock, SENT_WAIT_MS);
    const pushing = phone.syncNow();
    await guard(Promise.all([stuck, answerWaits]), 20_000, () => "the relay never started the poke or the wait for it");
    clock.advance(SENT_WAIT_MS);
    await guard(pushing, 20_000, () => "the answer still waits for the stuck poke");
    expect(phone.syncState(stalled!)).toBe("synced");
    clock.advance(SEND_TIMEOUT_MS - SENT_WAIT_MS);

    // The path is back; the stuck connection stays dark, as a dead one does.
    linkOfA.pass();
    const [after] = await logWorkouts(phone, "After", 1);
    await guard(phone.syncNow(), 20_000, () => "the answer to the next push never came: its poke waits behind the stuck one");
    await guard(waitFor(tablet, () => has(after!)), 20_000, () => "the next workout never reached the tablet");
    expect(has(stalled!)).toBe(false);

    // The given-up poke's change comes with the next cursor check.
    clock.advance(CURSOR_CHECK_MS);
    await guard(waitFor(tablet, () => has(stalled!)), 20_000, () => "the cursor check did not bring the workout whose poke was lost");
  });
});
