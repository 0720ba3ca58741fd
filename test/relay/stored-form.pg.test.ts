// What the relay stores for an accepted push (relay/stored-form.ts): a create keeps the bytes the
// device pushed, an update appends its changes to the row, and the row is compacted before its
// chunks pile up. Whatever the form, the stored bytes load to the device's document, a relay with
// an empty cache carries on from them, and a losing concurrent push adds nothing. A workout a
// device made and edited before its first sync arrives, and stays, as one compacted chunk.
import { createHash } from "node:crypto";
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { countChunks } from "../../relay/pipeline/automerge-chunks.js";
import type { Relay } from "../../relay/server.js";
import type { RelayStore } from "../../relay/store/store.js";
import { MAX_STORED_CHUNKS } from "../../relay/stored-form.js";
import type { EntityDocument } from "../../schema/entities.js";
import { Operation, SyncStatus, type SyncResult } from "../../schema/protocol/frames.js";
import { Code } from "../../schema/status.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { tempDir, workout } from "../support/devices.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Workout = A.Doc<EntityDocument<"workout">>;

async function relayOn(store: RelayStore): Promise<Relay> {
  const r = await startTestRelay({ store });
  cleanups.push(() => r.close().catch(() => undefined));
  return r;
}

async function connect(r: Relay, deviceId: string): Promise<RawRelaySocket> {
  const socket = await RawRelaySocket.hello(r.syncUrl, "stored-form-person", deviceId);
  cleanups.push(() => socket.close());
  return socket;
}

async function push(socket: RawRelaySocket, deviceId: string, entityId: string, data: Uint8Array, version: number): Promise<SyncResult> {
  const operation = version === 0 ? Operation.CREATE : Operation.UPDATE;
  const reply = await socket.request({ case: "sync", value: { deviceId, items: [{ entityType: "workout", entityId, operation, data, version }] } });
  if (reply.body.case !== "sync") throw new Error(`push answered with ${reply.body.case}`);
  return reply.body.value.results[0]!;
}

/** One added set, and the changes since the heads before it. */
function addSet(doc: Workout, reps: number): { doc: Workout; changes: Uint8Array } {
  const heads = A.getHeads(doc);
  const next = A.change(doc, (d) => {
    d.payload.exercises[0]!.sets.push({ id: `set-${reps}`, reps, weight: 100, unit: "kg", rpe: null, completed: true });
  });
  return { doc: next, changes: A.saveSince(next, heads) };
}

function loaded(bytes: Uint8Array | undefined): unknown {
  if (!bytes) throw new Error("no stored row");
  const doc = A.load(bytes);
  const json = A.toJS(doc);
  A.free(doc);
  return json;
}

describe("the relay stores pushed bytes and appended changes, and compacts them", () => {
  it("a create keeps the pushed bytes; updates append; past the chunk limit the row is one A.save again", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await relayOn(db.store);
    const socket = await connect(relay, "phone");
    const id = idFor("stored-form-workout");
    let doc: Workout = entityDoc("workout", id, workout("Leg day", [{ name: "Squat", sets: [[5, 140]] }]));
    const created = A.save(doc);
    expect(await push(socket, "phone", id, created, 0)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 1 });
    const userId = socket.userId;
    expect(Buffer.from((await db.store.get(userId, id))!.doc).equals(Buffer.from(created))).toBe(true);

    const pushedSoFar = [created];
    for (let v = 1; v <= 3; v++) {
      const edit = addSet(doc, v);
      doc = edit.doc;
      pushedSoFar.push(edit.changes);
      expect(await push(socket, "phone", id, edit.changes, v)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: v + 1 });
    }
    const appended = (await db.store.get(userId, id))!.doc;
    expect(Buffer.from(appended).equals(Buffer.concat(pushedSoFar))).toBe(true);
    expect(countChunks(appended)).toBe(4);
    expect(loaded(appended)).toEqual(A.toJS(doc));

    // Enough edits to pass the limit: the row is compacted, and still loads to the device's document.
    let version = 4;
    for (; version <= MAX_STORED_CHUNKS + 2; version++) {
      const edit = addSet(doc, version);
      doc = edit.doc;
      expect(await push(socket, "phone", id, edit.changes, version)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: version + 1 });
      expect(countChunks((await db.store.get(userId, id))!.doc)).toBeLessThanOrEqual(MAX_STORED_CHUNKS);
    }
    const row = (await db.store.get(userId, id))!;
    expect(row.version).toBe(version);
    expect(loaded(row.doc)).toEqual(A.toJS(doc));

    // A relay with an empty cache reads the row and carries on from it.
    const second = await relayOn(db.store);
    const tablet = await connect(second, "tablet");
    const edit = addSet(doc, 999);
    expect(await push(tablet, "tablet", id, edit.changes, version)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: version + 1 });
    expect(loaded((await db.store.get(userId, id))!.doc)).toEqual(A.toJS(edit.doc));
  });

  it("of two pushes on one version, the loser's changes are not appended, and it gets the winner's document", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await relayOn(db.store);
    const phone = await connect(relay, "phone");
    const tablet = await connect(relay, "tablet");
    const id = idFor("stored-form-race");
    const base: Workout = entityDoc("workout", id, workout("Push day", [{ name: "Bench Press", sets: [[5, 80]] }]));
    await push(phone, "phone", id, A.save(base), 0);
    const onPhone = addSet(A.clone(base), 1);
    const onTablet = addSet(A.clone(base), 2);
    expect(await push(phone, "phone", id, onPhone.changes, 1)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 2 });
    const lost = await push(tablet, "tablet", id, onTablet.changes, 1);
    expect(lost).toMatchObject({ status: SyncStatus.CONFLICT, serverVersion: 2 });
    expect(loaded(lost.serverData)).toEqual(A.toJS(onPhone.doc));
    const row = (await db.store.get(phone.userId, id))!;
    expect(row.version).toBe(2);
    expect(loaded(row.doc)).toEqual(A.toJS(onPhone.doc));
  });

  it("a workout made and edited before its first sync goes up as one compacted chunk, and is stored so", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await relayOn(db.store);
    const dir = tempDir("stored-form-device");
    cleanups.push(() => dir.remove());
    // Signed in, then nothing syncs until asked: the edits pile up as they would offline.
    const client = await openNodeClient({ dataDir: dir.path, relayUrl: relay.syncUrl, account: testAccount("stored-form-device"), deviceName: "phone", syncOnChange: false });
    cleanups.push(() => client.close());
    const id = await client.create("workout", workout("Offline legs", [{ name: "Back Squat", sets: [[5, 100]] }]));
    for (let reps = 1; reps <= 4; reps++) {
      await client.update<"workout">(id, (w) => {
        w.exercises[0]!.sets.push({ id: `offline-set-${reps}`, reps, weight: 100, unit: "kg", rpe: null, completed: true });
      });
    }
    const report = await client.syncNow();
    expect(report).toMatchObject({ pushed: 1, errors: 0 });
    const row = (await db.store.get(client.account().userId, id))!;
    // Its first save and four raw changes would be five chunks, each applied one by one on load.
    expect(countChunks(row.doc)).toBe(1);
    const stored = loaded(row.doc) as EntityDocument<"workout">;
    expect(stored.payload.exercises[0]!.sets.map((s) => s.id).slice(1)).toEqual(["offline-set-1", "offline-set-2", "offline-set-3", "offline-set-4"]);
  });
});

/**
 * `doc`'s whole history as one document chunk whose header names a head one byte off the real one,
 * its checksum made good again: a chunk that parses and passes every check but the heads'.
 */
function forgedHeads(doc: Workout): Uint8Array {
  const bytes = A.save(doc);
  const head = Buffer.from(A.getHeads(doc)[0]!, "hex");
  const at = Buffer.from(bytes).indexOf(head);
  if (at < 0) throw new Error("the head is not in the document chunk");
  const forged = bytes.slice();
  forged[at + 5]! ^= 0x55;
  forged.set(createHash("sha256").update(forged.subarray(8)).digest().subarray(0, 4), 4);
  return forged;
}

describe("a pushed document chunk whose heads are not its changes is refused", () => {
  // Automerge checks the heads a document chunk names only in the first chunk of a load (a
  // create); an update's chunk is hashed as it is applied and its header ignored. Stored as
  // pushed, a forged chunk is bytes that fail wherever they come first in a load, whose heads the
  // relay reads back from the row's chunk headers.
  it("as a create, as an update of a document the relay holds, and of one it reads from its row; the row stays as it was", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const relay = await relayOn(db.store);
    const socket = await connect(relay, "phone");
    const id = idFor("stored-form-forged");
    const doc: Workout = entityDoc("workout", id, workout("Pull day", [{ name: "Deadlift", sets: [[5, 160]] }]));

    const create = await push(socket, "phone", id, forgedHeads(doc), 0);
    expect(create).toMatchObject({ status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT });
    expect(create.errorMessage).toContain("mismatching heads");
    expect(await push(socket, "phone", id, A.save(doc), 0)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 1 });
    const stored = (await db.store.get(socket.userId, id))!.doc;

    const edited = addSet(doc, 7).doc;
    const cached = await push(socket, "phone", id, forgedHeads(edited), 1);
    expect(cached, "the relay holding the document").toMatchObject({ status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT });
    expect(cached.errorMessage).toContain("names heads that are not the changes it holds");

    const second = await relayOn(db.store);
    const tablet = await connect(second, "tablet");
    const fromRow = await push(tablet, "tablet", id, forgedHeads(edited), 1);
    expect(fromRow, "a relay reading the row").toMatchObject({ status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT });
    expect(fromRow.errorMessage).toContain("names heads that are not the changes it holds");

    const row = (await db.store.get(socket.userId, id))!;
    expect(row.version).toBe(1);
    expect(Buffer.from(row.doc).equals(Buffer.from(stored))).toBe(true);
    // The same edit, pushed as it should be, goes through on the relay that read the row.
    expect(await push(tablet, "tablet", id, A.save(edited), 1)).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 2 });
    expect(loaded((await db.store.get(socket.userId, id))!.doc)).toEqual(A.toJS(edited));
  });
});
