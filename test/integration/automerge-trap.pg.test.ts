// After Automerge's WebAssembly module trapped, a push is UNAVAILABLE, never INVALID_ARGUMENT
// (issue 21): the device keeps its changes and sends them again to the restarted relay, where
// INVALID_ARGUMENT would have flagged good changes as bad. The trap is real: a call into the
// module with a handle pointing past its memory traps it ("memory access out of bounds"), and
// wasm-bindgen marks the module terminated for the life of the process, exactly the state the
// 4 GiB of documents of issue 21 left the relay in. A trapped module cannot be mended, so this
// file holds this test alone (vitest gives each file its own process).
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import { Operation, SyncStatus } from "../../schema/protocol/frames.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
import { workout } from "../support/devices.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Traps this process's Automerge module for real: a document handle pointing past its memory. */
function trapAutomerge(): string {
  const victim = A.getBackend(A.from({ victim: 1 })) as unknown as { __wbg_ptr: number; getHeads(): unknown };
  victim.__wbg_ptr = 0xfffffff0;
  try {
    victim.getHeads();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("the module did not trap");
}

async function readyz(relay: Relay): Promise<number> {
  return (await fetch(`${relay.url}/readyz`)).status;
}

describe("a push after Automerge's module trapped", () => {
  it("is UNAVAILABLE (retryable), for a new entity and for an update of a cached one; nothing is stored; /readyz says 503; stopping still closes the store", async () => {
    const db = await freshPgStore();
    const relay = await startTestRelay({ store: db.store });
    cleanups.push(db.close, () => relay.close().catch(() => undefined));
    const socket = await RawRelaySocket.hello(relay.syncUrl, "trap-user", "device-a");
    cleanups.push(() => socket.close());

    // Before the trap: a workout is stored (and cached), and the device's next pushes are built.
    const id = idFor("stored workout");
    const doc = entityDoc("workout", id, workout("Leg day", [{ name: "Squat", sets: [[5, 140]] }]));
    // The second stays in the relay's document cache untouched until the relay stops.
    const restingId = idFor("resting workout");
    const resting = entityDoc("workout", restingId, workout("Rest day walk", [{ name: "Walk", sets: [[1, 0]] }]));
    const first = await socket.request({
      case: "sync",
      value: {
        items: [
          { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0 },
          { entityType: "workout", entityId: restingId, operation: Operation.CREATE, data: A.save(resting), version: 0 },
        ],
      },
    });
    const storedAtOne = { status: SyncStatus.SUCCESS, serverVersion: 1 };
    expect(first.body).toMatchObject({ case: "sync", value: { results: [storedAtOne, storedAtOne] } });
    const heads = A.getHeads(doc);
    const edited = A.change(doc, (d) => {
      d.payload.title = "Leg day, heavy";
    });
    const update = { entityType: "workout", entityId: id, operation: Operation.UPDATE, data: A.saveSince(edited, heads), version: 1 };
    const newId = idFor("new workout");
    const create = {
      entityType: "workout",
      entityId: newId,
      operation: Operation.CREATE,
      data: A.save(entityDoc("workout", newId, workout("Push day", [{ name: "Bench", sets: [[5, 100]] }]))),
      version: 0,
    };
    expect(await readyz(relay)).toBe(200);

    expect(trapAutomerge()).toBe("memory access out of bounds");
    expect(() => A.from({ after: 1 })).toThrow("Module terminated");

    for (const items of [[create], [update], [create, update]]) {
      const reply = await socket.request({ case: "sync", value: { items } });
      expect(reply.body).toMatchObject({ case: "error", value: { code: Code.UNAVAILABLE } });
    }
    expect(await readyz(relay)).toBe(503);
    // Pull still answers (it reads stored bytes, no Automerge), and Postgres holds what it held.
    const pulled = await socket.request({ case: "pull", value: { cursor: 0n } });
    expect(pulled.body.case).toBe("pull");
    expect(await db.store.get(socket.userId, id)).toMatchObject({ version: 1 });
    expect(await db.store.get(socket.userId, newId)).toBeNull();

    // Stopping (SIGTERM) frees the cached documents into the trapped module: it must still
    // close the store, not crash before it (issue 21, defect 1).
    await relay.close();
    await expect(db.store.get(socket.userId, id)).rejects.toThrow();
  });
});
