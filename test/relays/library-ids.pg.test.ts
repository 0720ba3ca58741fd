// Two relays on one Postgres: the exercise library published through one of them must hold on
// the other at once. A person's entity under a library id would give devices one document with
// two histories; the relay that did not publish learns of the new ids from the library's cursor
// in Postgres, not from its own cache.
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { catalogEntityId } from "../../relay/catalog/catalog.js";
import { EXERCISE_LIBRARY } from "../../relay/catalog/exercise-library.js";
import type { Relay } from "../../relay/server.js";
import { openPgStore } from "../../relay/store/pg-store.js";
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

function createItem(id: string) {
  const doc = entityDoc("workout", id, workout("Leg day", [{ name: "Squat", sets: [[5, 100]] }]));
  return { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0, timestamp: 1n };
}

async function push(socket: RawRelaySocket, id: string) {
  const reply = await socket.request({ case: "sync", value: { deviceId: "tablet", items: [createItem(id)] } });
  if (reply.body.case !== "sync") throw new Error(`sync answered with ${reply.body.case}`);
  return reply.body.value.results[0];
}

describe("the exercise library published through one relay", () => {
  it("is known at once to a relay that had cached the library's ids before", async () => {
    const db = await freshPgStore();
    cleanups.push(db.close);
    const a: Relay = await startTestRelay({ store: db.store });
    const b: Relay = await startTestRelay({ store: await openPgStore(databaseUrl, { searchPath: db.schema }) });
    cleanups.push(() => a.close(), () => b.close());
    const tablet = await RawRelaySocket.hello(b.syncUrl, "user-1", "tablet");
    cleanups.push(() => tablet.close());

    // Relay B reads (and caches) the library's ids with this create: there are none yet.
    expect(await push(tablet, idFor("first workout"))).toMatchObject({ status: SyncStatus.SUCCESS });

    const entry = EXERCISE_LIBRARY[0]!;
    expect(await a.publishExerciseLibrary([entry])).toBe(1);
    expect(await push(tablet, catalogEntityId(entry.key))).toMatchObject({
      status: SyncStatus.ERROR,
      code: Code.PERMISSION_DENIED,
      errorMessage: "this id belongs to the exercise library",
    });
  });
});
