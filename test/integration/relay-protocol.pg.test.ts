// The relay's edge: typed errors for bad input, optimistic locking between devices, and pulls
// by cursor that miss nothing under concurrent writers.
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import { HEADER_BYTES, Operation, SyncStatus, encodeDeviceFrame, type EntitySnapshot } from "../../schema/protocol/frames.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { RawRelaySocket, entityDoc, idFor, signIn } from "../support/raw-relay-socket.js";
import { workout } from "../support/devices.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relay(limits?: Parameters<typeof startTestRelay>[0]["limits"]): Promise<Relay> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store, limits });
  cleanups.push(db.close, () => r.close().catch(() => undefined));
  return r;
}

async function connect(r: Relay, userId = "user-1", deviceId = "device-a"): Promise<RawRelaySocket> {
  const socket = await RawRelaySocket.hello(r.syncUrl, userId, deviceId);
  cleanups.push(() => socket.close());
  return socket;
}

function createItem(label: string, title = "Leg day") {
  const id = idFor(label);
  const doc = entityDoc("workout", id, workout(title, [{ name: "Squat", sets: [[5, 140]] }]));
  return { doc, item: { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0, timestamp: 1n } };
}

async function pullAll(socket: RawRelaySocket, from = 0n): Promise<{ entities: EntitySnapshot[]; cursor: bigint }> {
  const entities: EntitySnapshot[] = [];
  let cursor = from;
  for (;;) {
    const reply = await socket.request({ case: "pull", value: { cursor, limit: 50 } });
    if (reply.body.case !== "pull") throw new Error(`pull answered with ${reply.body.case}`);
    entities.push(...reply.body.value.entities);
    cursor = reply.body.value.cursor;
    if (!reply.body.value.hasMore) return { entities, cursor };
  }
}

describe("bad input gets a typed error with its request id, the relay stays up, nothing is stored", () => {
  it("a malformed frame", async () => {
    const r = await relay();
    const socket = await connect(r);
    const garbage = new Uint8Array([0, 0, 0, 42, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    socket.sendBytes(garbage);
    const reply = await socket.reply(42);
    expect(reply.body).toMatchObject({ case: "error", value: { code: Code.INVALID_ARGUMENT } });
    expect((await pullAll(socket)).entities).toEqual([]);
  });

  it("a frame shorter than its header", async () => {
    const r = await relay();
    const socket = await connect(r);
    socket.sendBytes(new Uint8Array([1, 2]));
    expect((await socket.reply(0)).body).toMatchObject({ case: "error", value: { code: Code.INVALID_ARGUMENT } });
    expect((await pullAll(socket)).entities).toEqual([]); // still serving
  });

  it("a request before hello is refused and the connection closed", async () => {
    const r = await relay();
    const socket = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => socket.close());
    const reply = await socket.request({ case: "pull", value: { cursor: 0n } }, 7);
    expect(reply).toMatchObject({ requestId: 7, body: { case: "error", value: { code: Code.UNAUTHENTICATED } } });
  });

  it("a hello speaking only a newer protocol version is told so, and closed", async () => {
    const r = await relay();
    const socket = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => socket.close());
    const reply = await socket.request({ case: "hello", value: { protocolVersion: 99, minProtocolVersion: 99, userId: "u", deviceId: "d" } }, 3);
    expect(reply).toMatchObject({ requestId: 3, body: { case: "error", value: { code: Code.UNIMPLEMENTED } } });
    expect(JSON.stringify(reply.body.value)).toContain("newer");
  });

  it("a device too old for the relay is told to update the app", async () => {
    const r = await relay();
    const socket = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => socket.close());
    const reply = await socket.request({ case: "hello", value: { protocolVersion: 0, userId: "u", deviceId: "d" } }, 3);
    expect(reply).toMatchObject({ body: { case: "error", value: { code: Code.UNIMPLEMENTED } } });
    expect(JSON.stringify(reply.body.value)).toContain("update the app");
  });
});

describe("protocol versions side by side", () => {
  it("a device of the release before accounts (it names a user, has no token) is told to sign in with an updated app", async () => {
    const r = await relay();
    const socket = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => socket.close());
    const reply = await socket.request({ case: "hello", value: { protocolVersion: 1, userId: "u", deviceId: "old-phone" } });
    expect(reply.body).toMatchObject({ case: "error", value: { code: Code.UNAUTHENTICATED } });
    expect(JSON.stringify(reply.body.value)).toContain("update the app");
  });

  it("a device offering version 1 only is welcomed on version 1, and ping is refused on its connection", async () => {
    const r = await relay();
    const { accessToken } = await signIn(r.syncUrl, "user-1", "old-phone");
    const socket = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => socket.close());
    const welcome = await socket.request({ case: "hello", value: { protocolVersion: 1, accessToken } });
    expect(welcome.body).toMatchObject({ case: "welcome", value: { protocolVersion: 1 } });
    expect((await socket.request({ case: "pull", value: { cursor: 0n } })).body.case).toBe("pull");
    expect((await socket.request({ case: "ping", value: {} })).body).toMatchObject({ case: "error", value: { code: Code.UNIMPLEMENTED } });
  });

  it("a device offering versions 1 to 2 gets 2, and a pong with the relay's time", async () => {
    const r = await relay();
    const { accessToken } = await signIn(r.syncUrl, "user-1", "new-phone");
    const socket = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => socket.close());
    const welcome = await socket.request({ case: "hello", value: { protocolVersion: 2, minProtocolVersion: 1, accessToken } });
    expect(welcome.body).toMatchObject({ case: "welcome", value: { protocolVersion: 2 } });
    const pong = await socket.request({ case: "ping", value: {} });
    expect(pong.body.case).toBe("pong");
  });

  it("an unknown entity type, a document that fails validation, a version from the future, an id that is not a document id", async () => {
    const r = await relay();
    const socket = await connect(r);
    const good = createItem("w-good");
    const unknownType = { ...createItem("w-unknown").item, entityType: "dance_party" };
    const badDoc = entityDoc("workout", idFor("w-bad"), { ...workout("Bad", []), exercises: [{ id: "e", name: "Squat", sets: [{ id: "s", reps: -5, weight: 100, unit: "kg", rpe: null, completed: true }] }] });
    const invalid = { ...createItem("w-bad").item, data: A.save(badDoc) };
    const future = { ...createItem("w-future").item, version: 7, operation: Operation.UPDATE };
    const badId = { ...createItem("w-bad-id").item, entityId: "../../etc" };
    const reply = await socket.request({ case: "sync", value: { deviceId: "device-a", items: [unknownType, invalid, future, good.item, badId] } }, 11);
    expect(reply.requestId).toBe(11);
    if (reply.body.case !== "sync") throw new Error(`expected sync, got ${reply.body.case}`);
    const [r1, r2, r3, r4, r5] = reply.body.value.results;
    expect(r1).toMatchObject({ status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT });
    expect(r1!.errorMessage).toContain("unknown entity type");
    expect(r2).toMatchObject({ status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT });
    expect(r2!.errorMessage).toContain("reps");
    expect(r3).toMatchObject({ status: SyncStatus.ERROR, code: Code.FAILED_PRECONDITION });
    expect(r4).toMatchObject({ status: SyncStatus.SUCCESS, serverVersion: 1 });
    expect(r5).toMatchObject({ status: SyncStatus.ERROR, code: Code.INVALID_ARGUMENT });
    expect((await pullAll(socket)).entities.map((e) => e.entityId)).toEqual([idFor("w-good")]);
  });

  it("changes that are not Automerge data, and changes whose history the relay lacks", async () => {
    const r = await relay();
    const socket = await connect(r);
    const notAutomerge = { ...createItem("w-1").item, data: new Uint8Array([1, 2, 3, 4, 5]) };
    const base = createItem("w-2");
    const heads = A.getHeads(base.doc);
    const later = A.change(A.clone(base.doc), (d) => {
      d.payload.title = "Later";
    });
    const orphan = { ...base.item, data: A.saveSince(later, heads) }; // misses the create
    const reply = await socket.request({ case: "sync", value: { deviceId: "device-a", items: [notAutomerge, orphan] } });
    if (reply.body.case !== "sync") throw new Error(`expected sync, got ${reply.body.case}`);
    expect(reply.body.value.results.map((x) => x.code)).toEqual([Code.INVALID_ARGUMENT, Code.INVALID_ARGUMENT]);
    expect((await pullAll(socket)).entities).toEqual([]);
  });

  it("an oversized frame", async () => {
    const r = await relay({ maxFrameBytes: 16 * 1024 });
    const socket = await connect(r);
    const big = { ...createItem("w-big").item, data: new Uint8Array(20 * 1024) };
    const reply = await socket.request({ case: "sync", value: { deviceId: "device-a", items: [big] } }, 99);
    expect(reply).toMatchObject({ requestId: 99, body: { case: "error", value: { code: Code.RESOURCE_EXHAUSTED } } });
    expect((await pullAll(socket)).entities).toEqual([]);
  });

  it("a push naming another user, and a device write to the server-authoritative exercise library", async () => {
    const r = await relay();
    const socket = await connect(r);
    const other = await socket.request({ case: "sync", value: { userId: "user-2", deviceId: "device-a", items: [createItem("w-x").item] } }, 5);
    expect(other).toMatchObject({ requestId: 5, body: { case: "error", value: { code: Code.PERMISSION_DENIED } } });
    const exercise = entityDoc("exercise_definition", idFor("ex-1"), { name: "Squat", muscleGroups: ["quads"], equipment: "barbell", description: "" });
    const write = await socket.request({
      case: "sync",
      value: { deviceId: "device-a", items: [{ entityType: "exercise_definition", entityId: idFor("ex-1"), operation: Operation.CREATE, data: A.save(exercise), version: 0 }] },
    });
    expect(write.body).toMatchObject({ case: "sync", value: { results: [{ status: SyncStatus.ERROR, code: Code.PERMISSION_DENIED }] } });
    expect((await pullAll(socket)).entities).toEqual([]);
  });
});

describe("optimistic locking", () => {
  it("two pushes on the same version: exactly one wins, the other gets a conflict with the server's document", async () => {
    const r = await relay();
    const a = await connect(r, "user-1", "device-a");
    const b = await connect(r, "user-1", "device-b");
    const created = createItem("w-1");
    await a.request({ case: "sync", value: { deviceId: "device-a", items: [created.item] } });
    const heads = A.getHeads(created.doc);
    const edit = (title: string) => {
      const doc = A.change(A.clone(created.doc), (d) => {
        d.payload.title = title;
      });
      return { entityType: "workout", entityId: idFor("w-1"), operation: Operation.UPDATE, data: A.saveSince(doc, heads), version: 1 };
    };
    const [ra, rb] = await Promise.all([
      a.request({ case: "sync", value: { deviceId: "device-a", items: [edit("From A")] } }),
      b.request({ case: "sync", value: { deviceId: "device-b", items: [edit("From B")] } }),
    ]);
    const results = [ra, rb].map((x) => {
      if (x.body.case !== "sync") throw new Error(`expected sync, got ${x.body.case}`);
      return x.body.value.results[0]!;
    });
    const winners = results.filter((x) => x.status === SyncStatus.SUCCESS);
    const losers = results.filter((x) => x.status === SyncStatus.CONFLICT);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    expect(winners[0]!.serverVersion).toBe(2);
    expect(losers[0]).toMatchObject({ code: Code.ABORTED, serverVersion: 2 });
    const serverDoc = A.load<{ payload: { title: string } }>(losers[0]!.serverData);
    const winnerTitle = results[0]!.status === SyncStatus.SUCCESS ? "From A" : "From B";
    expect(serverDoc.payload.title).toBe(winnerTitle);
  });
});

describe("pull by cursor", () => {
  it("8 concurrent writers and a puller by cursor: the puller misses nothing", async () => {
    const r = await relay();
    const writers = await Promise.all(Array.from({ length: 8 }, (_, i) => connect(r, "user-1", `writer-${i}`)));
    const puller = await connect(r, "user-1", "puller");
    const rounds = 12;
    // Read by the puller across awaits while the writers change it.
    const state = { writing: true };
    const seen = new Map<string, number>();
    let cursor = 0n;
    let lastCursor = -1n;
    const pulling = (async () => {
      while (state.writing || cursor !== lastCursor) {
        lastCursor = cursor;
        const page = await pullAll(puller, cursor);
        for (const e of page.entities) {
          expect(e.cursor).toBeGreaterThan(cursor);
          seen.set(e.entityId, Math.max(seen.get(e.entityId) ?? 0, e.version));
        }
        cursor = page.cursor;
      }
    })();
    await Promise.all(
      writers.map(async (socket, w) => {
        const docs = Array.from({ length: 3 }, (_, k) => createItem(`w${w}-${k}`));
        const versions = docs.map(() => 0);
        const heads = docs.map(() => [] as string[]);
        for (let round = 0; round < rounds; round++) {
          const items = docs.map((entry, k) => {
            if (round > 0) {
              entry.doc = A.change(entry.doc, (d) => {
                d.payload.title = `round ${round}`;
              });
            }
            return { entityType: "workout", entityId: entry.item.entityId, operation: round === 0 ? Operation.CREATE : Operation.UPDATE, data: A.saveSince(entry.doc, heads[k]!), version: versions[k]! };
          });
          const reply = await socket.request({ case: "sync", value: { deviceId: `writer-${w}`, items } });
          if (reply.body.case !== "sync") throw new Error(`expected sync, got ${reply.body.case}`);
          reply.body.value.results.forEach((res, k) => {
            expect(res.status).toBe(SyncStatus.SUCCESS);
            versions[k] = res.serverVersion;
            heads[k] = A.getHeads(docs[k]!.doc);
          });
        }
      }),
    );
    state.writing = false;
    await pulling;
    expect(seen.size).toBe(8 * 3);
    for (const version of seen.values()) expect(version).toBe(rounds);
  });
});

describe("frames", () => {
  it("the request id is a 4-byte big-endian header before the protobuf body", () => {
    const frame = encodeDeviceFrame(0x01020304, { case: "pull", value: { cursor: 5n, limit: 10 } });
    expect([...frame.subarray(0, HEADER_BYTES)]).toEqual([1, 2, 3, 4]);
    // golden bytes: DeviceFrame{pull(3): PullRequest{cursor(1)=5, limit(2)=10}}
    expect([...frame.subarray(HEADER_BYTES)]).toEqual([0x1a, 0x04, 0x08, 0x05, 0x10, 0x0a]);
  });
});
