// The relay refuses what it cannot use (issue 21), item by item, over a real socket against a
// real store: each hostile item gets its typed error, the rest of its batch is stored, and
// nothing that was refused reaches the database or another device.
import { randomBytes } from "node:crypto";
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import { HEADER_BYTES, Operation, SyncStatus, encodeDeviceFrame, type EntitySnapshot, type SyncResult } from "../../schema/protocol/frames.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SyncItemSchema } from "../../schema/protocol/frames.js";
import type { Relay } from "../../relay/server.js";
import type { RelayLimits } from "../../relay/limits.js";
import type { Logger } from "../../relay/logger.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore, storeBackends, type StoreBackend } from "../support/databases.js";
import { FakeClock } from "../support/fake-clock.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
import { workout } from "../support/devices.js";
import { inflatingDocument, loose, manyOperationsDocument, nestDeeply } from "../support/hostile-automerge.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const postgres: StoreBackend = { name: "postgres", open: () => freshPgStore() };

async function relay(limits?: Partial<RelayLimits>, backend: StoreBackend = postgres, clock?: FakeClock, log?: Logger): Promise<Relay> {
  const db = await backend.open();
  const r = await startTestRelay({ store: db.store, limits, ...(clock ? { clock } : {}), ...(log ? { log } : {}) });
  cleanups.push(db.close, () => r.close().catch(() => undefined));
  return r;
}

async function connect(r: Relay, user = "user-1", deviceId = "device-a"): Promise<RawRelaySocket> {
  const socket = await RawRelaySocket.hello(r.syncUrl, user, deviceId);
  cleanups.push(() => socket.close());
  return socket;
}

type ItemInit = MessageInitShape<typeof SyncItemSchema>;

function created(label: string, title = "Leg day") {
  const id = idFor(label);
  const doc = entityDoc("workout", id, workout(title, [{ name: "Squat", sets: [[5, 140]] }]));
  const item: ItemInit = { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0 };
  return { id, doc, item };
}

/** An update of `doc` (stored at `version`) made by `edit`, as a device pushes it. */
function update(id: string, doc: A.Doc<object>, version: number, edit: (d: Record<string, unknown>) => void): ItemInit {
  const heads = A.getHeads(doc);
  const next = A.change(loose(doc), edit);
  return { entityType: "workout", entityId: id, operation: Operation.UPDATE, data: A.saveSince(next, heads), version };
}

async function sync(socket: RawRelaySocket, items: ItemInit[]): Promise<SyncResult[]> {
  const reply = await socket.request({ case: "sync", value: { items } });
  if (reply.body.case !== "sync") throw new Error(`sync answered with ${reply.body.case}: ${JSON.stringify(reply.body.value)}`);
  return reply.body.value.results;
}

async function pullAll(socket: RawRelaySocket): Promise<EntitySnapshot[]> {
  const entities: EntitySnapshot[] = [];
  let cursor = 0n;
  for (;;) {
    const reply = await socket.request({ case: "pull", value: { cursor, limit: 50 } });
    if (reply.body.case !== "pull") throw new Error(`pull answered with ${reply.body.case}`);
    entities.push(...reply.body.value.entities);
    cursor = reply.body.value.cursor;
    if (!reply.body.value.hasMore) return entities;
  }
}

const refused = (code: Code): unknown => expect.objectContaining({ status: SyncStatus.ERROR, code });
const stored = (version: number): unknown => expect.objectContaining({ status: SyncStatus.SUCCESS, code: Code.OK, serverVersion: version });

describe("what the store cannot hold is refused per item, and the rest of the batch is stored", () => {
  it("a NUL character in a string (Postgres jsonb refuses U+0000)", async () => {
    const socket = await connect(await relay());
    const nul = created("nul", "Leg day\u0000");
    const good = created("good-after-nul");
    const results = await sync(socket, [nul.item, good.item]);
    expect(results).toEqual([refused(Code.INVALID_ARGUMENT), stored(1)]);
    expect(results[0]!.errorMessage).toContain("NUL");
    expect((await pullAll(socket)).map((e) => e.entityId)).toEqual([good.id]);
  });

  it("a document nested deeper than any entity needs", async () => {
    const socket = await connect(await relay());
    const deep = created("deep");
    // A resolution's lost value is free JSON: the one place a device could nest at will.
    const withResolution = A.change(loose(deep.doc), (d) => {
      d["resolutions"] = [{ id: "r", kind: "overwritten", at: 1, by: { id: "d", name: "d" }, losing: null, path: [], lost: { value: {} }, restoredAt: null }];
    });
    const nested = nestDeeply(withResolution, ["resolutions", 0, "lost", "value"], 5000);
    const good = created("good-after-deep");
    const results = await sync(socket, [{ ...deep.item, data: nested }, good.item]);
    expect(results).toEqual([refused(Code.INVALID_ARGUMENT), stored(1)]);
    expect(results[0]!.errorMessage).toContain("nested deeper");
    expect((await pullAll(socket)).map((e) => e.entityId)).toEqual([good.id]);
  });

  it("an Automerge counter or immutable string where the schema allows free JSON (a resolution's lost value)", async () => {
    const socket = await connect(await relay());
    const results = await sync(
      socket,
      [new A.Counter(3), new A.ImmutableString("Leg day")].map((value, i) => {
        const { item, doc } = created(`not-json-${i}`);
        const withValue = A.change(loose(doc), (d) => {
          d["resolutions"] = [{ id: "r", kind: "overwritten", at: 1, by: { id: "d", name: "d" }, losing: null, path: [], lost: { value }, restoredAt: null }];
        });
        return { ...item, data: A.save(withValue) };
      }),
    );
    expect(results).toEqual([refused(Code.INVALID_ARGUMENT), refused(Code.INVALID_ARGUMENT)]);
    expect(results.map((r) => r.errorMessage)).toEqual([expect.stringContaining("Counter is not JSON"), expect.stringContaining("ImmutableString is not JSON")]);
    expect(await pullAll(socket)).toEqual([]);
  });

  it("a key the entity's schema does not know", async () => {
    const socket = await connect(await relay());
    const extra = created("extra");
    const withJunk = A.change(loose(extra.doc), (d) => {
      d["junk"] = "x".repeat(1000);
    });
    const good = created("good-after-extra");
    const results = await sync(socket, [{ ...extra.item, data: A.save(withJunk) }, good.item]);
    expect(results).toEqual([refused(Code.INVALID_ARGUMENT), stored(1)]);
    expect(results[0]!.errorMessage).toContain("junk");
    expect((await pullAll(socket)).map((e) => e.entityId)).toEqual([good.id]);
  });

  it("a pull cursor above 2^63-1 is INVALID_ARGUMENT, and the connection goes on", async () => {
    const socket = await connect(await relay());
    for (const cursor of [2n ** 63n, 2n ** 64n - 1n]) {
      const reply = await socket.request({ case: "pull", value: { cursor } });
      expect(reply.body).toMatchObject({ case: "error", value: { code: Code.INVALID_ARGUMENT } });
      const catalog = await socket.request({ case: "pull", value: { cursor: 0n, catalogCursor: cursor } });
      expect(catalog.body).toMatchObject({ case: "error", value: { code: Code.INVALID_ARGUMENT } });
    }
    expect((await socket.request({ case: "pull", value: { cursor: 2n ** 63n - 1n } })).body.case).toBe("pull");
  });
});

// Each case twice: on the relay's cached document, and with no cache, where every update is
// loaded from the stored row together with the pushed changes (apply-changes.ts, loadWithRow).
const caches: { name: string; limits: Partial<RelayLimits> }[] = [
  { name: "cached document", limits: {} },
  { name: "from the stored row", limits: { documentCacheSize: 0 } },
];

describe.each(caches)("an update carries this entity's own new changes, or is refused ($name)", (cache) => {
  it("bytes that do not parse (random, a corrupted chunk, garbage after a change) are INVALID_ARGUMENT: no new version, nothing fanned out", async () => {
    const r = await relay(cache.limits);
    const a = await connect(r, "user-1", "device-a");
    const b = await connect(r, "user-1", "device-b");
    const w = created("w");
    expect(await sync(a, [w.item])).toEqual([stored(1)]);
    await b.reply(0); // the create's fan-out
    const good = update(w.id, w.doc, 1, (d) => {
      (d["payload"] as Record<string, unknown>)["title"] = "Pull day";
    });
    const goodBytes = good.data as Uint8Array;
    const corrupted = new Uint8Array(goodBytes);
    corrupted[corrupted.length - 2]! ^= 0xff;
    const random = new Uint8Array(200).map((_, i) => (i * 73 + 11) % 256);
    for (const data of [random, corrupted, new Uint8Array([...goodBytes, 1, 2, 3]), goodBytes.subarray(0, goodBytes.length - 1)]) {
      const [result] = await sync(a, [{ ...good, data }]);
      expect(result).toEqual(refused(Code.INVALID_ARGUMENT));
      expect(result!.errorMessage).toContain("not Automerge data");
    }
    expect(await sync(a, [good])).toEqual([stored(2)]);
    // The first frame device b hears after the create is the good update, at version 2.
    const fanned = await b.reply(0);
    expect(fanned.body).toMatchObject({ case: "changes", value: { entities: [{ entityId: w.id, version: 2, baseVersion: 1 }] } });
  });

  it("a push that adds no change (a retry of stored changes) is SUCCESS at the version it already has", async () => {
    const socket = await connect(await relay(cache.limits));
    const w = created("w");
    expect(await sync(socket, [w.item])).toEqual([stored(1)]);
    expect(await sync(socket, [{ ...w.item, operation: Operation.UPDATE, version: 1 }])).toEqual([stored(1)]);
    const edit = update(w.id, w.doc, 1, (d) => {
      (d["payload"] as Record<string, unknown>)["title"] = "Pull day";
    });
    expect(await sync(socket, [edit])).toEqual([stored(2)]);
    expect(await sync(socket, [{ ...edit, version: 2 }])).toEqual([stored(2)]);
    expect((await pullAll(socket)).map((e) => e.version)).toEqual([2]);
  });

  for (const backend of storeBackends) {
    it(`another document's history under this entity's id is INVALID_ARGUMENT, never merged (${backend.name}, ${cache.name})`, async () => {
      const socket = await connect(await relay(cache.limits, backend));
      const w = created("w");
      expect(await sync(socket, [w.item])).toEqual([stored(1)]);
      // A valid workout with the same id, made separately: a document of its own history.
      const impostor = entityDoc("workout", w.id, workout("Impostor", [{ name: "Curl", sets: [[10, 20]] }]), "other-device");
      const later = A.change(A.clone(impostor), (d) => {
        d.payload.title = "Impostor, edited";
      });
      const tries: ItemInit[] = [
        { ...w.item, operation: Operation.UPDATE, version: 1, data: A.save(impostor) },
        { ...w.item, operation: Operation.UPDATE, version: 1, data: A.saveSince(later, []) },
      ];
      for (const item of tries) {
        const [result] = await sync(socket, [item]);
        expect(result).toEqual(refused(Code.INVALID_ARGUMENT));
        expect(result!.errorMessage).toContain("another document");
      }
      const [snapshot] = await pullAll(socket);
      expect(snapshot).toMatchObject({ entityId: w.id, version: 1 });
      expect(A.load<{ payload: { title: string } }>(snapshot!.data).payload.title).toBe("Leg day");
    });
  }

  it("changes that build on history the relay does not have are INVALID_ARGUMENT; the row keeps its version", async () => {
    const socket = await connect(await relay(cache.limits));
    const w = created("w");
    expect(await sync(socket, [w.item])).toEqual([stored(1)]);
    const first = A.change(loose(w.doc), (d) => {
      (d["payload"] as Record<string, unknown>)["title"] = "Pull day";
    });
    const headsAfterFirst = A.getHeads(first);
    const second = A.change(first, (d) => {
      (d["payload"] as Record<string, unknown>)["title"] = "Push day";
    });
    // Only the second change: it depends on the first, which was never pushed.
    const [result] = await sync(socket, [{ ...w.item, operation: Operation.UPDATE, version: 1, data: A.saveSince(second, headsAfterFirst) }]);
    expect(result).toEqual(refused(Code.INVALID_ARGUMENT));
    expect(result!.errorMessage).toContain("depend on history");
    expect(await sync(socket, [{ ...w.item, operation: Operation.UPDATE, version: 1, data: A.saveSince(second, A.getHeads(w.doc)) }])).toEqual([stored(2)]);
    const [snapshot] = await pullAll(socket);
    expect(A.load<{ payload: { title: string } }>(snapshot!.data).payload.title).toBe("Push day");
  });

  it("an update whose result fails the entity's schema is INVALID_ARGUMENT; the next good one is stored on the same version", async () => {
    const socket = await connect(await relay(cache.limits));
    const w = created("w");
    expect(await sync(socket, [w.item])).toEqual([stored(1)]);
    const bad = update(w.id, w.doc, 1, (d) => {
      (d["payload"] as Record<string, unknown>)["unknownKey"] = 1;
    });
    const [result] = await sync(socket, [bad]);
    expect(result).toEqual(refused(Code.INVALID_ARGUMENT));
    const good = update(w.id, w.doc, 1, (d) => {
      (d["payload"] as Record<string, unknown>)["title"] = "Pull day";
    });
    expect(await sync(socket, [good])).toEqual([stored(2)]);
    const [snapshot] = await pullAll(socket);
    expect(A.load<{ payload: { title: string } }>(snapshot!.data).payload).toMatchObject({ title: "Pull day" });
    expect(A.load<{ payload: Record<string, unknown> }>(snapshot!.data).payload["unknownKey"]).toBeUndefined();
  });
});

describe("the protocol as the .proto states it", () => {
  /** A frame with request id `id` and `body` as its protobuf bytes. */
  const frame = (id: number, body: number[]) => {
    const bytes = new Uint8Array(HEADER_BYTES + body.length);
    new DataView(bytes.buffer).setUint32(0, id);
    bytes.set(body, HEADER_BYTES);
    return bytes;
  };

  it("garbage before hello is UNAUTHENTICATED, and the connection is closed", async () => {
    const r = await relay();
    for (const garbage of [frame(9, [0xff, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array([1, 2])]) {
      const socket = await RawRelaySocket.connect(r.syncUrl);
      cleanups.push(() => socket.close());
      socket.sendBytes(garbage);
      const reply = await socket.reply(garbage.length >= HEADER_BYTES ? 9 : 0);
      expect(reply.body).toMatchObject({ case: "error", value: { code: Code.UNAUTHENTICATED } });
      await socket.closedPromise;
      expect(socket.closed?.code).toBe(1008);
    }
  });

  it("a frame of a kind the relay does not know is UNIMPLEMENTED, and the connection goes on", async () => {
    const socket = await connect(await relay());
    socket.sendBytes(frame(21, [0x7a, 0x00])); // DeviceFrame field 15, an empty message
    expect((await socket.reply(21)).body).toMatchObject({ case: "error", value: { code: Code.UNIMPLEMENTED } });
    expect((await socket.request({ case: "pull", value: { cursor: 0n } })).body.case).toBe("pull");
  });

  it("request id 0 (the relay's, for unasked frames) is refused; a frame whose id is still waiting gets no answer, the first frame its one", async () => {
    const socket = await connect(await relay());
    socket.sendBytes(encodeDeviceFrame(0, { case: "pull", value: { cursor: 0n } }));
    expect((await socket.reply(0)).body).toMatchObject({ case: "error", value: { code: Code.INVALID_ARGUMENT } });
    // Both frames leave in one write; the first is still being answered when the second arrives.
    const items = Array.from({ length: 20 }, (_, i) => created(`pending-${i}`).item);
    socket.sendBytes(encodeDeviceFrame(50, { case: "sync", value: { items } }));
    socket.sendBytes(encodeDeviceFrame(50, { case: "pull", value: { cursor: 0n } }));
    expect((await socket.reply(50)).body.case).toBe("sync");
    // A later request's answer comes after it, and nothing more ever came for id 50.
    expect((await socket.request({ case: "pull", value: { cursor: 0n } })).body.case).toBe("pull");
    expect(socket.untaken(50)).toBe(0);
    expect((await pullAll(socket)).length).toBe(20);
  });

  it("a connection silent for the idle timeout of the relay's clock is closed; any frame restarts it", async () => {
    const clock = new FakeClock();
    const socket = await connect(await relay({ idleTimeoutMs: 60_000 }, postgres, clock));
    clock.advance(59_999);
    expect((await socket.request({ case: "pull", value: { cursor: 0n } })).body.case).toBe("pull");
    clock.advance(59_999); // 59.999 s after the pull: still open
    expect((await socket.request({ case: "pull", value: { cursor: 0n } })).body.case).toBe("pull");
    clock.advance(60_000);
    await socket.closedPromise;
    expect(socket.closed?.code).toBe(1001);
  });

  it("connections past the cap are closed with 1013 (try again later); the others go on", async () => {
    const r = await relay({ maxConnections: 2 });
    const a = await connect(r, "user-1", "device-a");
    await connect(r, "user-2", "device-b");
    const third = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => third.close());
    await third.closedPromise;
    expect(third.closed?.code).toBe(1013);
    expect((await a.request({ case: "pull", value: { cursor: 0n } })).body.case).toBe("pull");
  });
});

describe("documents and answers fit a frame", () => {
  /** A valid workout of about `kb` KB that does not compress: exercises named by random text. */
  function bulky(label: string, kb: number) {
    const id = idFor(label);
    const payload = workout("Bulky", []);
    payload.exercises = Array.from({ length: Math.ceil(kb * 5) }, (_, i) => ({ id: `ex-${i}`, name: randomBytes(150).toString("base64"), sets: [] }));
    const doc = entityDoc("workout", id, payload);
    const item: ItemInit = { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0 };
    return { id, doc, item };
  }

  it("a document over maxDocumentBytes is INVALID_ARGUMENT for its item; the rest of the batch is stored", async () => {
    const socket = await connect(await relay({ maxDocumentBytes: 8_000 }));
    const big = bulky("big", 12);
    const small = created("small");
    const results = await sync(socket, [big.item, small.item]);
    expect(results).toEqual([refused(Code.INVALID_ARGUMENT), stored(1)]);
    expect(results[0]!.errorMessage).toContain("at most 8000");
    expect((await pullAll(socket)).map((e) => e.entityId)).toEqual([small.id]);
  });

  it("pull pages and conflict answers carry at most a frame's worth of documents", async () => {
    const maxFrameBytes = 64 * 1024;
    const r = await relay({ maxFrameBytes });
    const socket = await connect(r);
    const docs = Array.from({ length: 8 }, (_, i) => bulky(`bulky-${i}`, 15));
    for (const d of docs) expect(await sync(socket, [d.item])).toEqual([stored(1)]);

    const seen: string[] = [];
    let cursor = 0n;
    let pages = 0;
    for (let more = true; more; pages++) {
      const reply = await socket.request({ case: "pull", value: { cursor, limit: 50 } });
      if (reply.body.case !== "pull") throw new Error(`pull answered with ${reply.body.case}`);
      const page = reply.body.value;
      expect(page.entities.reduce((sum, e) => sum + e.data.length, 0)).toBeLessThanOrEqual(maxFrameBytes);
      seen.push(...page.entities.map((e) => e.entityId));
      cursor = page.cursor;
      more = page.hasMore;
    }
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(docs.map((d) => d.id));

    // Eight stale pushes: each conflict answer would carry a 15 KB document.
    const tablet = await connect(r, "user-1", "device-b");
    const stale = docs.map((d) => ({ ...d.item, operation: Operation.UPDATE, version: 0, data: new Uint8Array([1]) }));
    const results = await sync(socket, stale);
    const conflicts = results.filter((x) => x.status === SyncStatus.CONFLICT);
    expect(conflicts.length).toBeGreaterThan(0);
    expect(conflicts.reduce((sum, x) => sum + x.serverData.length, 0)).toBeLessThanOrEqual(maxFrameBytes);
    const rest = results.filter((x) => x.status !== SyncStatus.CONFLICT);
    expect(rest.length).toBeGreaterThan(0);
    for (const x of rest) expect(x).toEqual(refused(Code.RESOURCE_EXHAUSTED));

    // The versions the conflicts were answered with go out again to the person's other devices
    // (docs/relay.md: a retry brings a lost poke back), only those the answer carried, within a
    // frame. A create after them marks the end of what the tablet was sent.
    const marker = created("after-the-stale-pushes");
    expect(await sync(socket, [marker.item])).toEqual([stored(1)]);
    const republished: string[] = [];
    for (let seenMarker = false; !seenMarker; ) {
      const frame = await tablet.reply(0);
      if (frame.body.case !== "changes") throw new Error(`unasked ${frame.body.case}`);
      const entities = frame.body.value.entities.filter((e) => e.entityId !== marker.id);
      seenMarker = entities.length < frame.body.value.entities.length;
      expect(entities.reduce((sum, e) => sum + e.data.length, 0)).toBeLessThanOrEqual(maxFrameBytes);
      republished.push(...entities.map((e) => e.entityId));
    }
    expect(republished).toEqual(conflicts.map((x) => x.entityId));
  });
});

describe("backpressure", () => {
  it("a device that never reads is closed once its unread replies pass maxBufferedBytes; others go on", async () => {
    let closedSlow: (fields: Record<string, unknown>) => void = () => undefined;
    const slowClosed = new Promise<Record<string, unknown>>((resolve) => (closedSlow = resolve));
    const log: Logger = {
      info: (event, fields) => {
        if (event === "slow_reader_closed") closedSlow(fields ?? {});
      },
      error: () => undefined,
    };
    const maxBufferedBytes = 256 * 1024;
    const r = await relay({ maxFrameBytes: 64 * 1024, maxBufferedBytes }, postgres, undefined, log);
    const writer = await connect(r, "user-1", "device-a");
    for (let i = 0; i < 4; i++) {
      const id = idFor(`page-${i}`);
      const payload = workout("Bulky", []);
      payload.exercises = Array.from({ length: 70 }, (_, k) => ({ id: `ex-${k}`, name: randomBytes(150).toString("base64"), sets: [] }));
      expect(await sync(writer, [{ entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(entityDoc("workout", id, payload)), version: 0 }])).toEqual([stored(1)]);
    }
    const slow = await connect(r, "user-1", "device-slow");
    slow.stopReading();
    // Each answer is a page of about 56 KB: 300 of them are far more than the socket buffers hold.
    for (let i = 0; i < 300; i++) slow.sendBytes(encodeDeviceFrame(5000 + i, { case: "pull", value: { cursor: 0n, limit: 50 } }));
    const fields = await slowClosed;
    expect(fields["buffered_bytes"]).toBeGreaterThan(maxBufferedBytes);
    expect(fields["buffered_bytes"]).toBeLessThanOrEqual(maxBufferedBytes + 64 * 1024);
    // Once it reads again it is told why it was closed.
    slow.resumeReading();
    await slow.closedPromise;
    expect(slow.closed?.code).toBe(1008);
    const other = await connect(r, "user-2", "device-b");
    expect((await other.request({ case: "pull", value: { cursor: 0n } })).body.case).toBe("pull");
  });
});

describe("the relay's memory is bounded by bytes", () => {
  it("the document cache keeps at most documentCacheBytes of documents, evicting the biggest first", async () => {
    const bigId = idFor("cache big");
    const exercises = Array.from({ length: 6 }, (_, e) => ({ name: `Lift ${e}`, sets: Array.from({ length: 150 }, (_, i): [number, number] => [i % 12, e * 100 + i]) }));
    const bigDoc = entityDoc("workout", bigId, workout("Big day", exercises));
    const big = { id: bigId, doc: bigDoc, item: { entityType: "workout", entityId: bigId, operation: Operation.CREATE, data: A.save(bigDoc), version: 0 } satisfies ItemInit };
    const small1 = created("cache small 1");
    const small2 = created("cache small 2");
    const smallBytes = (small1.item.data as Uint8Array).length;
    // Room for the two small ones, or for the big one alone: not for all three.
    const r = await relay({ documentCacheBytes: (big.item.data).length + smallBytes });
    const socket = await connect(r);
    expect(await sync(socket, [small1.item, big.item, small2.item])).toEqual([stored(1), stored(1), stored(1)]);
    // The small ones are still loaded; the big one was evicted when small2 came in (least
    // recently used first would have evicted small1).
    const before = await cacheLookups(r);
    expect(await sync(socket, [update(small1.id, small1.doc, 1, retitle("one")), update(small2.id, small2.doc, 1, retitle("two"))])).toEqual([stored(2), stored(2)]);
    const between = await cacheLookups(r);
    expect({ hits: between.hits - before.hits, misses: between.misses - before.misses }).toEqual({ hits: 2, misses: 0 });
    expect(await sync(socket, [update(big.id, big.doc, 1, retitle("big"))])).toEqual([stored(2)]);
    const after = await cacheLookups(r);
    expect({ hits: after.hits - between.hits, misses: after.misses - between.misses }).toEqual({ hits: 0, misses: 1 });
  });

  it("a 30 KB push that inflates to a 30-million-character string is INVALID_ARGUMENT before any load; RSS stays flat", async () => {
    const r = await relay();
    const socket = await connect(r);
    const id = idFor("inflating");
    const bomb: ItemInit = { entityType: "workout", entityId: id, operation: Operation.CREATE, data: inflatingDocument(id), version: 0 };
    expect((bomb.data as Uint8Array).length).toBeLessThan(40_000);
    const good = created("after the bomb");
    const rssBefore = process.memoryUsage().rss;
    const results = await sync(socket, [bomb, good.item]);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(rssGrowth).toBeLessThan(200 * 1024 * 1024);
    expect(results).toEqual([
      expect.objectContaining({ code: Code.INVALID_ARGUMENT, errorMessage: expect.stringMatching(/decode to more than/) as unknown }),
      stored(1),
    ]);
    expect(rssGrowth).toBeLessThan(200 * 1024 * 1024);
    const other = await connect(r, "user-2", "device-b");
    expect(await sync(other, [created("someone else's").item])).toEqual([stored(1)]);
    expect((await pullAll(socket)).map((e) => e.entityId)).toEqual([good.id]);
  });
  it("a 3 KB push holding 3 million run-length encoded operations is INVALID_ARGUMENT before any load; RSS stays flat", { timeout: 180_000 }, async () => {
    const r = await relay();
    const socket = await connect(r);
    const id = idFor("many operations");
    const bomb: ItemInit = { entityType: "workout", entityId: id, operation: Operation.CREATE, data: manyOperationsDocument(id, 3_000_000), version: 0 };
    expect((bomb.data as Uint8Array).length).toBeLessThan(8_000);
    const good = created("after the operations bomb");
    const rssBefore = process.memoryUsage().rss;
    const results = await sync(socket, [bomb, good.item]);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    // Loaded, it took +390 MB in a process of its own.
    expect(rssGrowth).toBeLessThan(150 * 1024 * 1024);
    expect(results).toEqual([
      expect.objectContaining({ code: Code.INVALID_ARGUMENT, errorMessage: expect.stringMatching(/more than 250000 operations/) as unknown }),
      stored(1),
    ]);
    expect((await pullAll(socket)).map((e) => e.entityId)).toEqual([good.id]);
  });
});

function retitle(title: string): (d: Record<string, unknown>) => void {
  return (d) => {
    (d["payload"] as Record<string, unknown>)["title"] = title;
  };
}

async function cacheLookups(r: Relay): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const sample = (result: string): number => {
    const line = text.split("\n").find((l) => l.startsWith(`ironflow_document_cache_lookups_total{result="${result}"}`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
  };
  return { hits: sample("hit"), misses: sample("miss") };
}
