// A newer relay answers this device's push with a version a newer app wrote (document schema 3),
// concurrent with this device's own change. This build cannot settle it: nothing is merged or
// dropped, the change waits for review with words that say to update the app, and the sync goes
// on with everything else. Over the in-memory transport, against a relay played by the test.
import "fake-indexeddb/auto";
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo/slim";
import { afterEach, describe, expect, it } from "vitest";
import { refusalInWords } from "../../client/app/failure-words.js";
import { IndexedDbStorage, IronFlowClient } from "../../client/core/index.js";
import { SCHEMA_VERSION, changeOptions, schemaTag } from "../../schema/document-version.js";
import { Code, SyncStatus } from "../../schema/protocol/frames.js";
import { workout } from "../support/devices.js";
import { ScriptedRelay } from "../support/scripted-relay.js";
import { openScriptedDevice } from "../support/scripted-device.js";

const clients: IronFlowClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

async function device(relay: ScriptedRelay): Promise<IronFlowClient> {
  const client = await openScriptedDevice(new IndexedDbStorage("newer-schema"), relay);
  clients.push(client);
  return client;
}

/** A workout another device of this build made, as the relay would send it. */
function otherDevicesWorkout(): { id: string; bytes: Uint8Array } {
  const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
  const root = { type: "workout", id, createdAt: 1, updatedAt: 1, deviceId: "tablet", deviceName: "Tablet", hlc: "", baseVersion: 0, deleted: null, payload: workout("Pull day", []) };
  const doc = A.change(A.init<Record<string, unknown>>(), changeOptions(), (d) => Object.assign(d, root));
  const bytes = A.save(doc);
  A.free(doc);
  return { id, bytes };
}

describe("a concurrent version written by a newer app", () => {
  it("is not settled: this device's change stays and waits for review (update the app), and the pull goes on", async () => {
    const relay = new ScriptedRelay();
    relay.protocolVersion = 4;
    const phone = await device(relay);
    const id = await phone.create("workout", workout("Leg day", [{ name: "Squat", sets: [[5, 140]] }]));
    await phone.syncNow();
    const created = relay.frames.flatMap((f) => (f.case === "sync" ? f.value.items : [])).find((item) => item.entityId === id);
    if (!created) throw new Error("the create was not pushed");

    await phone.update<"workout">(id, (w) => {
      w.title = "Leg day (mine)";
    });
    // The newer app's version 2, made on version 1 concurrently with the phone's change.
    const theirs = A.change(A.load<Record<string, unknown>>(created.data), { message: schemaTag(SCHEMA_VERSION + 1) }, (d) => {
      (d["payload"] as { title: string }).title = "Leg day (theirs)";
      d["mood"] = "great";
    });
    const other = otherDevicesWorkout();
    relay.answer = (frame, reply) => {
      const ok = relay.ok(frame);
      if (ok.case === "sync") {
        ok.value.results = [{ entityId: id, status: SyncStatus.CONFLICT, code: Code.ABORTED, serverData: A.save(theirs), serverVersion: 2, serverTime: 2n, cursor: 2n }];
      }
      if (ok.case === "pull") {
        ok.value.entities = [{ entityType: "workout", entityId: other.id, data: other.bytes, version: 1, serverTime: 3n, cursor: 3n, deviceId: "tablet" }];
        ok.value.cursor = 3n;
      }
      reply(ok);
    };
    await phone.syncNow();

    const [item] = phone.queueItems().filter((i) => i.entityId === id);
    expect(item).toMatchObject({ status: "error", lastError: { code: "FAILED_PRECONDITION" } });
    expect(refusalInWords(item!.lastError!)).toContain("update the app");
    expect((await phone.get<"workout">(id))?.payload.title).toBe("Leg day (mine)");
    expect((await phone.get<"workout">(other.id))?.payload.title).toBe("Pull day");
    A.free(theirs);
  });
});
