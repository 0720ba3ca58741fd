// A device reports its sync health to the relay with each pull (protocol version 3 on): queue
// depth, how often the waiting changes failed, changes waiting for a manual sync, conflicts
// waiting for the person. The relay is played by the test (test/support/scripted-relay.ts).
import "fake-indexeddb/auto";
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import type { IronFlowClient as Client } from "../../client/core/index.js";
import { Code, SyncStatus, type SyncItem } from "../../schema/protocol/frames.js";
import { ScriptedRelay } from "../support/scripted-relay.js";
import { openScriptedDevice } from "../support/scripted-device.js";
import { FakeClock } from "../support/fake-clock.js";
import { workout } from "../support/devices.js";

const clients: Client[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

let stores = 0;
async function device(relay: ScriptedRelay): Promise<Client> {
  const client = await openScriptedDevice(new IndexedDBStorageAdapter(`device-health-${++stores}`), relay, {
    timers: new FakeClock(Date.UTC(2026, 10, 25, 12), [0.5]),
    requestTimeoutMs: 5_000,
  });
  clients.push(client);
  return client;
}

/** The relay stores `ok`, answers UNAVAILABLE for `busy` and INVALID_ARGUMENT for `bad`. */
function answerPerItem(relay: ScriptedRelay, busy: string, bad: string): void {
  relay.answer = (frame, reply) => {
    if (frame.body.case !== "sync") {
      reply(relay.ok(frame));
      return;
    }
    const results = frame.body.value.items.map((item: SyncItem) => {
      if (item.entityId === busy) return { entityId: item.entityId, status: SyncStatus.ERROR, code: Code.UNAVAILABLE, errorMessage: "busy" };
      if (item.entityId === bad) return { entityId: item.entityId, status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT, errorMessage: "bad" };
      return { entityId: item.entityId, status: SyncStatus.SUCCESS, code: Code.OK, serverVersion: 1, cursor: 1n };
    });
    reply({ case: "sync", value: { results } });
  };
}

const pulls = (relay: ScriptedRelay) => relay.frames.flatMap((f) => (f.case === "pull" ? [f.value] : []));

describe("the device's sync health, reported with each pull", () => {
  it("after a push where one change was stored, one is to retry and one was refused, the pull carries those figures", async () => {
    const relay = new ScriptedRelay();
    relay.protocolVersion = 3;
    const phone = await device(relay);
    const ids: string[] = [];
    for (const title of ["Stored", "Busy", "Refused"]) ids.push(await phone.create("workout", workout(title, [{ name: "Squat", sets: [[5, 100]] }])));
    answerPerItem(relay, ids[1]!, ids[2]!);
    await phone.syncNow();

    const [pull] = pulls(relay);
    expect(pull?.health).toMatchObject({
      queueDepth: 2,
      retryCounts: [{ retries: 1, items: 1 }],
      waitingForManualSync: 0,
      conflictsWaiting: 0,
    });
    expect(pull?.health?.queueDepth).toBe(phone.status().queueDepth);
  });

  it("a relay that speaks version 2 is sent no health", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay);
    await phone.create("workout", workout("W", [{ name: "Squat", sets: [[5, 100]] }]));
    await phone.syncNow();
    expect(pulls(relay).map((p) => p.health)).toEqual([undefined]);
  });
});
