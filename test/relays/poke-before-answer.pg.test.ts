// A relay answers a batch, then dies (SIGKILL, in the three-relay fault test). The device holds
// the answer, so it never pushes those changes again and no retry publishes them again
// (lost-poke-retry.pg.test.ts): whatever pokes had not left the relay by then are lost, and with
// the cursor check far off the other relays' devices never get those changes. So a batch is
// answered only once its pokes have left. Ten workouts make three NOTIFYs (4 + 4 + 2 snapshots
// of about 1.3 KB each ride a poke of at most 4 KB, one poke a message under NOTIFY's 8000
// bytes), sent one round trip after another: answered at once, a relay killed in the next
// round trip lost six of them (the three-relay test's flake: four devices 6 workouts short).
// Real parts: two relays' SyncServices and cross-relay fan-outs on LISTEN/NOTIFY over one schema,
// devices on real sockets; relay A's death is its link to Postgres for its pokes going dark the
// moment its answer reaches the phone.
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../support/devices.js";
import { Cleanups, guard, logWorkouts } from "../faults/fixtures.js";
import { phoneOnATabletOnB, twoRelaysOnNotify } from "./two-relays-on-notify.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe("a batch answered by a relay that dies right after", { timeout: 60_000 }, () => {
  it("was poked to the other relay's devices in full before its answer left", async () => {
    // Relay A's fan-out reaches Postgres through a proxy the test can black out; relay B's directly.
    const { linkOfA, relayA, relayB } = await twoRelaysOnNotify(cleanups);
    const { toA, phone, tablet } = await phoneOnATabletOnB(cleanups, { relayA, relayB });
    // A poke stuck on the dark link (or a new connection for it) would hold up the fan-outs' close.
    cleanups.add(() => {
      linkOfA.pass();
      linkOfA.cut();
    });

    // Live across relays: this also opens relay A's connection for sending pokes.
    const [first] = await logWorkouts(phone, "Monday", 1);
    await phone.syncNow();
    await guard(
      waitFor(tablet, () => tablet.list("workout").some((w) => w.id === first)),
      20_000,
      () => "the first workout never reached the tablet",
    );

    // Ten workouts in one batch; relay A's pokes stop the moment its answer reaches the phone
    // (a pong is a few bytes; the answer to ten items is hundreds).
    const ids = await logWorkouts(phone, "Burst", 10);
    toA.onReply((chunk) => {
      if (chunk.length < 200) return false;
      linkOfA.blackhole();
      return true;
    });
    await phone.syncNow();
    expect(phone.queueItems().filter((q) => ids.includes(q.entityId) && q.status === "synced")).toHaveLength(10);

    // The phone holds every answer and pushes nothing again: only the pokes bring them.
    await guard(
      waitFor(tablet, () => ids.every((id) => tablet.list("workout").some((w) => w.id === id))),
      20_000,
      () => `the tablet got ${ids.filter((id) => tablet.list("workout").some((w) => w.id === id)).length} of the 10 workouts`,
    );
  });
});
