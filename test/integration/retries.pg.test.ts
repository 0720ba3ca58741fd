// The sync engine under a dead network and a relay that lost data: per-item retries on the
// source's schedule (fake clock, real sockets), manual sync after five failures, and errors
// that are flagged for review without blocking other items.
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../support/ports.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import { MANUAL_SYNC_MESSAGE, type IronFlowClient } from "../../client/core/index.js";
import { freshPgStore, withAdmin } from "../support/databases.js";
import { FakeClock } from "../support/fake-clock.js";
import { tempDir, waitFor, workout } from "../support/devices.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});


async function device(url: string, clock?: FakeClock, name = "phone"): Promise<IronFlowClient> {
  const dir = tempDir(name);
  const client = await openNodeClient({ dataDir: dir.path, relayUrl: url, account: testAccount("user-1"), deviceName: name, timers: clock });
  cleanups.push(() => dir.remove(), () => client.close());
  return client;
}

describe("retries on the source's schedule", () => {
  it("an item that cannot reach the relay is retried at 30 s, 1, 5, 15 and 60 min, then waits for a manual sync", async () => {
    const port = await freePort();
    const clock = new FakeClock();
    // The phone signs in once, then the relay goes away for hours.
    const db = await freshPgStore();
    cleanups.push(() => db.close());
    const first = await startTestRelay({ store: db.store, port });
    const a = await device(`ws://127.0.0.1:${port}/sync`, clock);
    await first.close();
    const id = await a.create("workout", workout("Basement gym", [{ name: "Squat", sets: [[5, 120]] }]));
    const item = () => a.queueItems().find((q) => q.entityId === id)!;

    await a.syncNow().catch(() => undefined);
    expect(item()).toMatchObject({ status: "pending", retryCount: 1, nextAttemptAt: clock.now() + 30_000 });
    expect(item().lastError?.code).toBe("UNAVAILABLE");

    // Each scheduled retry fails again; reconnect attempts in between do not count against the item.
    for (const [failures, minutes] of [[2, 0.5], [3, 1], [4, 5], [5, 15], [6, 60]] as const) {
      clock.advance(minutes * 60_000);
      await waitFor(a, () => item().retryCount === failures);
    }
    expect(item().nextAttemptAt).toBeNull();
    expect(a.status().waitingForManualSync).toBe(1);
    expect(a.syncState(id)).toBe("needs_attention");
    expect(MANUAL_SYNC_MESSAGE).toBe("Some changes couldn't sync. Check connection.");

    // The relay comes back; automatic syncs leave the item alone, the person's "sync now" pushes it.
    const relay = await startTestRelay({ store: await db.reopen(), port });
    cleanups.push(() => relay.close().catch(() => undefined));
    clock.advance(2 * 3600_000);
    await a.networkOnline();
    expect(item().status).toBe("pending");
    const report = await a.syncNow();
    expect(report.pushed).toBe(1);
    expect(a.syncState(id)).toBe("synced");
    expect(a.status().waitingForManualSync).toBe(0);
  });
});

describe("error categories", () => {
  it("a change the relay refuses is flagged for review, not retried in a loop, and does not block other items", async () => {
    const db = await freshPgStore();
    let relay: Relay = await startTestRelay({ store: db.store });
    const port = relay.port;
    cleanups.push(() => db.close(), () => relay.close().catch(() => undefined));
    const a = await device(relay.syncUrl);
    const old = await a.create("workout", workout("Old", [{ name: "Row", sets: [[8, 60]] }]));
    await a.syncNow();
    await a.update<"workout">(old, (w) => {
      w.notes = "v2";
    });
    await a.syncNow();

    // The relay's workouts are restored from a backup older than them (the accounts survive): the
    // device's version 2 is now "from the future".
    await relay.close();
    await withAdmin((admin) => admin.query(`DELETE FROM ${db.schema}.entities`));
    relay = await startTestRelay({ store: await db.reopen(), port });
    await a.update<"workout">(old, (w) => {
      w.notes = "v3";
    });
    const fresh = await a.create("workout", workout("New", [{ name: "Press", sets: [[5, 50]] }]));
    const report = await a.syncNow();
    expect(report).toMatchObject({ pushed: 1, errors: 1 });
    expect(a.syncState(fresh)).toBe("synced");
    expect(a.queueItems().find((q) => q.entityId === old)).toMatchObject({
      status: "error",
      lastError: { code: "FAILED_PRECONDITION" },
      nextAttemptAt: null,
    });
    expect(a.syncState(old)).toBe("needs_attention");
    const again = await a.syncNow();
    expect(again.errors).toBe(0); // not retried in a loop
    expect((await a.get<"workout">(old))?.payload.notes).toBe("v3"); // the change is kept
  });
});
