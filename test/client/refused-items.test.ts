// Items the relay refuses wait for the person: Retry sends them again, Discard goes back to what
// the relay has (or removes what it never had). Over the in-memory transport, against a relay
// played by the test.
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { IndexedDbStorage, IronFlowClient } from "../../client/core/index.js";
import { Code, SyncStatus } from "../../schema/protocol/frames.js";
import { workout } from "../support/devices.js";
import { ScriptedRelay } from "../support/scripted-relay.js";
import { openScriptedDevice } from "../support/scripted-device.js";

const clients: IronFlowClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

let stores = 0;
async function device(relay: ScriptedRelay): Promise<IronFlowClient> {
  const client = await openScriptedDevice(new IndexedDbStorage(`refused-${++stores}`), relay);
  clients.push(client);
  return client;
}

/** The relay refuses every item whose id is in `refused`. */
function refusing(relay: ScriptedRelay, refused: Set<string>): void {
  relay.answer = (frame, reply) => {
    const ok = relay.ok(frame);
    if (ok.case === "sync") {
      ok.value.results = ok.value.results!.map((r) =>
        refused.has(r.entityId!) ? { entityId: r.entityId, status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT, errorMessage: "refused by the test" } : r,
      );
    }
    reply(ok);
  };
}

describe("items the relay refused", () => {
  it("Retry sends one again, and it syncs once the relay takes it", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay);
    const id = await phone.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }]));
    const refused = new Set([id]);
    refusing(relay, refused);
    await phone.syncNow();
    expect(phone.syncState(id)).toBe("needs_attention");
    refused.clear();
    await phone.retryItem(id);
    await phone.syncNow();
    expect(phone.syncState(id)).toBe("synced");
  });

  it("Discard of something the relay never had removes it from the device", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay);
    const id = await phone.create("workout", workout("Typo", [{ name: "Squat", sets: [[5, 100]] }]));
    refusing(relay, new Set([id]));
    await phone.syncNow();
    await phone.discardLocalChanges(id);
    expect(phone.list("workout")).toEqual([]);
    expect(await phone.get(id)).toBeUndefined();
    expect(phone.status().queueDepth).toBe(0);
  });

  it("Discard of a change to a synced entity goes back to the relay's version, as one more change", async () => {
    const relay = new ScriptedRelay();
    const phone = await device(relay);
    const id = await phone.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }]));
    await phone.syncNow();
    await phone.update<"workout">(id, (w) => {
      w.title = "Refused title";
    });
    const refused = new Set([id]);
    refusing(relay, refused);
    await phone.syncNow();
    expect(phone.syncState(id)).toBe("needs_attention");
    await phone.discardLocalChanges(id);
    expect((await phone.get<"workout">(id))?.payload.title).toBe("Legs");
    refused.clear();
    await phone.syncNow();
    expect(phone.syncState(id)).toBe("synced");
  });
});
