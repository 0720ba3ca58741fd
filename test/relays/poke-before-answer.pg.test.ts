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
import { openCrossRelayFanout, type CrossRelayFanout } from "../../relay/backbone/cross-relay-fanout.js";
import { openPgNotifyBackbone } from "../../relay/backbone/pg-notify-backbone.js";
import { silentLogger } from "../../relay/logger.js";
import { openPgStore } from "../../relay/store/pg-store.js";
import { startTestRelay } from "../support/accounts.js";
import { databaseUrl, freshPgStore, schemaUrl } from "../support/databases.js";
import { waitFor } from "../support/devices.js";
import { FakeClock } from "../support/fake-clock.js";
import { Cleanups, guard, logWorkouts, openTestDevice } from "../faults/fixtures.js";
import { TcpProxy } from "../faults/tcp-proxy.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe("a batch answered by a relay that dies right after", { timeout: 60_000 }, () => {
  it("was poked to the other relay's devices in full before its answer left", async () => {
    const db = await freshPgStore();
    cleanups.add(db.close);
    // Relay A's fan-out reaches Postgres through a proxy the test can black out; relay B's directly.
    const postgres = new URL(databaseUrl);
    const linkOfA = await TcpProxy.open({ host: postgres.hostname, port: Number(postgres.port || 5432) });
    cleanups.add(() => linkOfA.close());
    const proxied = new URL(databaseUrl);
    proxied.port = String(linkOfA.port);
    // The fake clock never comes due: no cursor check and no reconnect run in this test.
    const clock = new FakeClock();
    const fanout = async (url: string): Promise<CrossRelayFanout> => {
      const opened = await openCrossRelayFanout((handlers) => openPgNotifyBackbone({ connectionString: url, clock, log: silentLogger }, handlers), {
        store: db.store,
        clock,
        log: silentLogger,
        cursorCheckMs: 3_600_000,
      });
      cleanups.add(() => opened.close());
      return opened;
    };
    const relayA = await startTestRelay({ store: db.store, fanout: await fanout(schemaUrl(db.schema, proxied.toString())) });
    cleanups.add(() => relayA.close());
    const storeOfB = await openPgStore(databaseUrl, { searchPath: db.schema });
    const relayB = await startTestRelay({ store: storeOfB, fanout: await fanout(schemaUrl(db.schema)) });
    cleanups.add(() => relayB.close());
    const toA = await TcpProxy.open({ port: relayA.port });
    cleanups.add(() => toA.close());

    const phone = await openTestDevice(cleanups, "phone", toA.syncUrl);
    const tablet = await openTestDevice(cleanups, "tablet", relayB.syncUrl);
    await phone.syncNow();
    await tablet.syncNow(); // connected to B, and subscribed to its fan-out
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
