// A relay stores a push, and the poke telling the other relays of it is lost (its link to them
// broke at that moment; a relay killed right after its commit loses it the same way), and the
// pushing device never hears the answer. No cursor check is due. When the device pushes the same
// changes again, the relay answers with the version it already holds, and that version is
// published again: a device on the other relay gets it live, not at the next cursor check.
// Real parts: two relays' SyncServices and cross-relay fan-outs on LISTEN/NOTIFY over one schema,
// devices on real sockets; the faults are proxies that cut connections (relay A's link to
// Postgres for its fan-out, and the phone's answer).
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import type { IronFlowClient } from "../../client/core/index.js";
import { waitFor } from "../support/devices.js";
import { RelayEvents } from "../support/relay-events.js";
import { Cleanups, guard, logWorkouts, relayRows } from "../faults/fixtures.js";
import { phoneOnATabletOnB, twoRelaysOnNotify } from "./two-relays-on-notify.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

function has(client: IronFlowClient, id: string): boolean {
  return client.list("workout").some((w) => w.id === id);
}

describe("a push stored by a relay whose poke was lost", { timeout: 60_000 }, () => {
  it("reaches the other relay's devices live when the pushing device pushes it again", async () => {
    // Relay A's fan-out reaches Postgres through a proxy the test can cut; relay B's directly.
    const eventsOfA = new RelayEvents();
    const { db, linkOfA, relayA, relayB } = await twoRelaysOnNotify(cleanups, { logOfA: eventsOfA });
    const { toA, phone, tablet } = await phoneOnATabletOnB(cleanups, { relayA, relayB });

    // Live across relays: this also opens relay A's connection for sending pokes.
    const [first] = await logWorkouts(phone, "Monday", 1);
    await phone.syncNow();
    await guard(waitFor(tablet, () => has(tablet, first!)), 20_000, () => "the first workout never reached the tablet");

    // A's link to Postgres breaks; then the phone's push is stored, its poke fails to go out, and
    // the answer never reaches the phone.
    linkOfA.cut();
    const [second] = await logWorkouts(phone, "Tuesday", 1);
    toA.cutOnNextReply();
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await eventsOfA.count("fanout_send_failed", 1);
    expect((await relayRows(db.schema)).find((r) => r.entityId === second)).toMatchObject({ version: 1 });
    expect(has(tablet, second!)).toBe(false);

    // The phone pushes it again (version 0 against the relay's 1: answered with the relay's
    // document, which holds the push). That answer's version goes out again, on a new link.
    await phone.syncNow();
    expect(phone.queueItems().find((q) => q.entityId === second)).toMatchObject({ status: "synced", version: 1 });
    await guard(waitFor(tablet, () => has(tablet, second!)), 20_000, () => `the tablet holds ${tablet.list("workout").length} workouts, not Tuesday's`);
    expect(tablet.conflicts()).toEqual([]);
  });
});
