// A relay drained for a rolling restart (Relay.drain, what SIGTERM runs). While a device's push
// is held inside Postgres (the test locks the entities table), the relay reports not-ready,
// closes new connections with RELAY_RESTARTING, refuses a request that arrives now with
// UNAVAILABLE, answers the held push once Postgres lets it through, and only then closes the
// device's socket with RELAY_RESTARTING.
import * as A from "@automerge/automerge";
import { Client } from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { CloseCode } from "../../schema/protocol/close-codes.js";
import { Operation, SyncStatus } from "../../schema/protocol/frames.js";
import { Code } from "../../schema/status.js";
import { startTestRelay } from "../support/accounts.js";
import { databaseUrl, freshPgStore } from "../support/databases.js";
import { workout } from "../support/devices.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Resolves (one query per round trip, no timer) once some session of this database waits for a lock. */
async function someoneWaitsForALock(admin: Client): Promise<void> {
  for (;;) {
    const waiting = await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
    if (waiting.rowCount) return;
  }
}

describe("a relay drained for a rolling restart", () => {
  it("answers the push it holds, reports not-ready, refuses what comes later, and closes with RELAY_RESTARTING only after the answer", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await startTestRelay({ store: db.store });
    let drainedAlready = false;
    cleanups.push(() => (drainedAlready ? undefined : relay.close()));
    const phone = await RawRelaySocket.hello(relay.syncUrl, "user-1", "phone");
    cleanups.push(() => phone.close());

    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query("BEGIN");
    await admin.query(`LOCK TABLE ${db.schema}.entities IN ACCESS EXCLUSIVE MODE`);
    const id = idFor("held-in-postgres");
    const doc = entityDoc("workout", id, workout("Held in Postgres", [{ name: "Squat", sets: [[5, 100]] }]));
    const item = { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0, timestamp: 1n };
    const held = phone.request({ case: "sync", value: { deviceId: "phone", items: [item] } }, 1);
    await someoneWaitsForALock(admin); // the push is inside the relay, waiting on Postgres

    const drained = relay.drain(60_000);
    const readiness = await fetch(`${relay.url}/readyz`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ checks: { accepting: "draining: this relay is stopping" } });
    const latecomer = await RawRelaySocket.connect(relay.syncUrl);
    await latecomer.closedPromise;
    expect(latecomer.closed?.code).toBe(CloseCode.RELAY_RESTARTING);
    const late = await phone.request({ case: "ping", value: {} }, 2);
    expect(late.body).toMatchObject({ case: "error", value: { code: Code.UNAVAILABLE, message: "the relay is restarting: reconnect and send this again" } });
    expect(phone.closed).toBeUndefined();

    await admin.query("COMMIT"); // Postgres lets the push through
    const answer = await held; // throws if the socket closed before the answer came
    expect(answer.body).toMatchObject({ case: "sync", value: { results: [{ status: SyncStatus.SUCCESS, serverVersion: 1 }] } });
    await phone.closedPromise;
    expect(phone.closed?.code).toBe(CloseCode.RELAY_RESTARTING);
    expect(await drained).toEqual({ connections: 1, refused: 1, cut: 0 });
    drainedAlready = true;
    const stored = await admin.query(`SELECT version FROM ${db.schema}.entities WHERE entity_id = $1`, [id]);
    expect(stored.rows).toEqual([{ version: 1 }]);
  });
});
