// Old and new app versions sync the same workout through the new relay: a device of the previous
// release (protocol 3, document schema 1: untagged changes, no baseVersion in what it writes,
// strict about unknown keys) and a device of this build. And a push of a document written by a
// newer schema than the relay knows is refused, typed, with nothing stored.
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION, schemaTag } from "../../schema/document-version.js";
import { Operation, SyncStatus, type EntitySnapshot } from "../../schema/protocol/frames.js";
import { Code } from "../../schema/status.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { openDevice, workout, type TestDevice } from "../support/devices.js";
import { RawRelaySocket, entityDoc, idFor, signIn } from "../support/raw-relay-socket.js";
import { validateDocument as validateWithPreviousRelease } from "../schema/fixtures/schema-v1-entities.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relay(): Promise<Relay> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store });
  cleanups.push(db.close, () => r.close().catch(() => undefined));
  return r;
}

/** A device of the previous release: it speaks protocol 3 only. */
async function oldDevice(r: Relay, deviceId: string): Promise<RawRelaySocket> {
  const { accessToken } = await signIn(r.syncUrl, "user-1", deviceId);
  const socket = await RawRelaySocket.connect(r.syncUrl);
  cleanups.push(() => socket.close());
  const welcome = await socket.request({ case: "hello", value: { protocolVersion: 3, minProtocolVersion: 3, accessToken } });
  expect(welcome.body).toMatchObject({ case: "welcome", value: { protocolVersion: 3 } });
  return socket;
}

async function newDevice(r: Relay, name: string): Promise<TestDevice> {
  const d = await openDevice(name, r.syncUrl);
  cleanups.push(() => d.close());
  return d;
}

async function pullOne(socket: RawRelaySocket, entityId: string): Promise<EntitySnapshot> {
  const reply = await socket.request({ case: "pull", value: { cursor: 0n, limit: 50 } });
  if (reply.body.case !== "pull") throw new Error(`pull answered with ${reply.body.case}`);
  const found = reply.body.value.entities.find((e) => e.entityId === entityId);
  if (!found) throw new Error(`the pull did not bring ${entityId}`);
  return found;
}

async function push(socket: RawRelaySocket, item: { entityId: string; operation: Operation; data: Uint8Array; version: number }, deviceId = "old-phone") {
  const reply = await socket.request({ case: "sync", value: { deviceId, items: [{ entityType: "workout", timestamp: 1n, ...item }] } });
  if (reply.body.case !== "sync") throw new Error(`sync answered with ${reply.body.case}`);
  return reply.body.value.results[0]!;
}

describe("document schema versions through the relay", () => {
  it("a device of the previous release and one of this build edit the same workout, each reading what the other wrote", async () => {
    const r = await relay();
    const old = await oldDevice(r, "old-phone");
    const id = idFor("schema-versions-leg-day");
    // The previous release's document: no baseVersion, no schema tag on its change.
    const created = entityDoc("workout", id, workout("Leg day", [{ name: "Squat", sets: [[5, 140]] }]), "old-phone");
    expect(A.getChangesMetaSince(created, []).map((c) => c.message)).toEqual([null]);
    expect(await push(old, { entityId: id, operation: Operation.CREATE, data: A.save(created), version: 0 })).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 1 });

    // This build opens it (upgraded on read) and adds a set.
    const phone = await newDevice(r, "new-phone");
    await phone.client.syncNow();
    expect(await phone.client.get<"workout">(id)).toMatchObject({ baseVersion: 0, payload: { title: "Leg day" } });
    await phone.client.update<"workout">(id, (w) => {
      w.exercises[0]!.sets.push({ id: "set-new", reps: 5, weight: 142.5, unit: "kg", rpe: 8, completed: true });
    });
    await phone.client.syncNow();
    expect(phone.client.syncState(id)).toBe("synced");

    // The previous release takes the new version in, its own validator accepts it, and it edits
    // on top (untagged, as it always did); the relay stores that.
    const snapshot = await pullOne(old, id);
    expect(snapshot.version).toBe(2);
    const onOld = A.load<ReturnType<typeof entityDoc<"workout">>>(snapshot.data);
    const checked = validateWithPreviousRelease("workout", A.toJS(onOld));
    expect(checked.ok ? "" : checked.message).toBe("");
    expect(A.getChangesMetaSince(onOld, []).map((c) => c.message)).toEqual([null, schemaTag()]);
    const heads = A.getHeads(onOld);
    const edited = A.change(onOld, (d) => {
      d.payload.title = "Leg day (old phone)";
    });
    expect(await push(old, { entityId: id, operation: Operation.UPDATE, data: A.saveSince(edited, heads), version: 2 })).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 3 });

    // And this build reads the old release's edit beside its own set.
    await phone.client.syncNow();
    const onNew = await phone.client.get<"workout">(id);
    expect(onNew?.payload.title).toBe("Leg day (old phone)");
    expect(onNew?.payload.exercises[0]?.sets.map((s) => s.weight)).toEqual([140, 142.5]);
  });

  it("a push of a document written by a newer schema is refused as a precondition (update the relay), and nothing is stored", async () => {
    const r = await relay();
    const socket = await RawRelaySocket.hello(r.syncUrl, "user-1", "future-phone");
    cleanups.push(() => socket.close());
    const id = idFor("schema-versions-future");
    const plain = A.toJS(entityDoc("workout", id, workout("Future day", [])));
    const future = A.change(A.init<Record<string, unknown>>(), { message: schemaTag(SCHEMA_VERSION + 1) }, (d) => Object.assign(d, plain, { mood: "great" }));
    const result = await push(socket, { entityId: id, operation: Operation.CREATE, data: A.save(future), version: 0 }, "future-phone");
    expect(result).toMatchObject({ status: SyncStatus.ERROR, code: Code.FAILED_PRECONDITION });
    expect(result.errorMessage).toContain(`document schema ${String(SCHEMA_VERSION + 1)}`);
    const reply = await socket.request({ case: "pull", value: { cursor: 0n, limit: 50 } });
    expect(reply.body).toMatchObject({ case: "pull", value: { entities: [] } });
  });
});
