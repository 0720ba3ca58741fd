// A seeded fuzz of the frames a hostile device can send (fast-check): random bytes, valid frames
// with bits flipped, unknown fields, two bodies in one frame, huge and negative numbers,
// injection strings and NUL characters in every string field, mutated and foreign Automerge
// bytes, a second hello, and Automerge payloads built to cost a careless relay gigabytes or its
// stack (a 30-million-character string deflated to 30 KB, 3 million run-length encoded operations,
// maps nested 5,000 deep). Each goes to the real relay on a real socket, signed in as Mallory,
// while Ada's workout sits in the same Postgres. Expected: the relay answers every frame (or
// closes the connection with a close code, for a frame it cannot go on after), every refusal
// carries a status code and none is INTERNAL (INTERNAL is a bug: it tells a device to retry the
// same bytes forever), the relay keeps serving, its process's memory stays bounded, and Ada's rows
// are exactly as they were.
//   FUZZ_RUNS  frames (default 1000)   FUZZ_SEED  the seed (default fixed)
import * as A from "@automerge/automerge";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEADER_BYTES, Operation, SyncStatus, encodeDeviceFrame, readRequestId, type DeviceBodyInit } from "../../schema/protocol/frames.js";
import { Code, codeName } from "../../schema/status.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore, withAdmin, type PgStoreFixture } from "../support/databases.js";
import { workout } from "../support/devices.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
import { inflatingDocument, loose, manyOperationsDocument, nestDeeply } from "../support/hostile-automerge.js";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 1000);
const SEED = Number(process.env["FUZZ_SEED"] ?? 20261130);

let db: PgStoreFixture;
let relay: Relay;
let ada: RawRelaySocket;
const adaWorkout = idFor("ada's workout");

beforeAll(async () => {
  db = await freshPgStore();
  // The frame-rate limit would answer most frames RESOURCE_EXHAUSTED and hide the rest.
  relay = await startTestRelay({ store: db.store, limits: { framesPerSecond: 1_000_000 } });
  ada = await RawRelaySocket.hello(relay.syncUrl, "ada", "ada-phone");
  const doc = entityDoc("workout", adaWorkout, workout("Ada's leg day", [{ name: "Squat", sets: [[5, 100]] }]));
  const reply = await ada.request({ case: "sync", value: { items: [{ entityType: "workout", entityId: adaWorkout, operation: Operation.CREATE, data: A.save(doc), version: 0 }] } });
  if (reply.body.case !== "sync" || reply.body.value.results[0]?.status !== SyncStatus.SUCCESS) throw new Error("Ada's workout was not stored");
});

afterAll(async () => {
  ada.close();
  await relay.close().catch(() => undefined);
  await db.close();
});

function adaRows(): Promise<unknown[]> {
  return withAdmin(async (admin) => (await admin.query<Record<string, unknown>>(`SELECT entity_id, version, cursor, doc, data, deleted FROM ${db.schema}.entities WHERE user_id = $1 ORDER BY entity_id`, [ada.userId])).rows);
}

// ---- what a hostile device sends -------------------------------------------------------------

const INJECTIONS = [
  "'; DROP TABLE entities; --",
  "\" OR 1=1 --",
  "Leg day\u0000",
  "\u0000",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "${process.exit()}",
  "%s%s%s%n",
  "\ud800", // a lone surrogate
  "x".repeat(70_000),
];

const hostileString = fc.oneof(fc.constantFrom(...INJECTIONS), fc.string({ maxLength: 40 }), fc.constantFrom(adaWorkout, idFor("mallory's"), ""));
const int32 = fc.oneof(fc.constantFrom(-2147483648, -1, 0, 1, 2, 2147483647), fc.integer({ min: -2147483648, max: 2147483647 }));
const uint64 = fc.oneof(fc.constantFrom(0n, 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
const int64 = fc.oneof(fc.constantFrom(-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));

/**
 * The relay runs in this process: past this growth of its memory over the fuzz, a payload was paid
 * for before it was checked (one 30-million-character string loaded is about 500 MB).
 */
const MEMORY_GROWTH_BOUND = 256 * 1024 * 1024;

/** Each bomb under the id it was built for, so a push of it passes every check that is not about its cost. */
const bombs = [
  { entityId: idFor("mallory's bomb"), data: inflatingDocument(idFor("mallory's bomb")) },
  { entityId: idFor("mallory's operations"), data: manyOperationsDocument(idFor("mallory's operations"), 3_000_000) },
  {
    entityId: idFor("mallory's nest"),
    data: nestDeeply(loose(entityDoc("workout", idFor("mallory's nest"), workout("Deep", [{ name: "Row", sets: [[8, 60]] }]))), ["payload"], 5000),
  },
];

/** Valid Automerge bytes, mutated ones, another document's whole history, and the bombs. */
const automergeBytes = fc.oneof(
  fc.constantFrom(...bombs.map((bomb) => bomb.data)),
  fc.constant(A.save(entityDoc("workout", idFor("mallory's"), workout("Mine", [{ name: "Row", sets: [[8, 60]] }])))),
  fc.constant(A.save(entityDoc("workout", adaWorkout, workout("Not Ada's", [{ name: "Row", sets: [[8, 60]] }])))),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
    const bytes = A.save(entityDoc("workout", idFor("mallory's"), workout("Mutated", [{ name: "Row", sets: [[8, 60]] }])));
    bytes[at % bytes.length] = value;
    return bytes;
  }),
  fc.constant(A.save(entityDoc("workout", idFor("mallory's NUL"), workout("Leg day\u0000", [{ name: "Row\u0000", sets: [[8, 60]] }])))),
  fc.uint8Array({ maxLength: 300 }),
  fc.constant(new Uint8Array()),
);

const syncItem = fc.record({
  entityType: fc.oneof(fc.constantFrom("workout", "progression", "user_profile", "recovery", "volume", "exercise_definition"), hostileString),
  entityId: hostileString,
  // The wire carries any number where the enum is: 7 names no operation.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
  operation: fc.constantFrom(Operation.OPERATION_UNSPECIFIED, Operation.CREATE, Operation.UPDATE, Operation.DELETE, 7 as Operation),
  data: automergeBytes,
  version: int32,
  timestamp: int64,
});

const body: fc.Arbitrary<DeviceBodyInit> = fc.oneof(
  fc.record({ userId: hostileString, deviceId: hostileString, items: fc.array(syncItem, { maxLength: 4 }) }).map((value) => ({ case: "sync" as const, value })),
  fc.record({ cursor: uint64, limit: fc.nat(), catalogCursor: uint64 }).map((value) => ({ case: "pull" as const, value })),
  fc.record({ protocolVersion: fc.nat(), minProtocolVersion: fc.nat(), userId: hostileString, deviceId: hostileString, deviceName: hostileString, accessToken: hostileString }).map((value) => ({ case: "hello" as const, value })),
  fc.constant({ case: "ping" as const, value: {} }),
);

/** A push Mallory's device could have made, one or more items of it a bomb, beside a good workout. */
const bombPush: fc.Arbitrary<DeviceBodyInit> = fc
  .tuple(fc.subarray(bombs, { minLength: 1 }), fc.nat())
  .map(([chosen, n]) => {
    const good = idFor(`mallory's good ${n}`);
    const goodItem = { entityType: "workout", entityId: good, operation: Operation.CREATE, data: A.save(entityDoc("workout", good, workout("Good", [{ name: "Row", sets: [[8, 60]] }]))), version: 0 };
    const items = chosen.map((bomb) => ({ entityType: "workout", entityId: bomb.entityId, operation: Operation.CREATE, data: bomb.data, version: 0 }));
    return { case: "sync" as const, value: { userId: "", deviceId: "mallory-laptop", items: [...items, goodItem] } };
  });

const requestId = fc.oneof(fc.constantFrom(0, 1, 2 ** 32 - 1), fc.integer({ min: 1, max: 2 ** 32 - 1 }));
const validFrame = fc.tuple(requestId, body).map(([id, b]) => encodeDeviceFrame(id, b));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const frame: fc.Arbitrary<{ kind: string; bytes: Uint8Array }> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ kind: "random bytes", bytes })),
  validFrame.map((bytes) => ({ kind: "a frame built from hostile values", bytes })),
  fc.tuple(requestId, bombPush).map(([id, push]) => ({ kind: "a well-formed push of hostile Automerge", bytes: encodeDeviceFrame(id, push) })),
  fc.tuple(validFrame, fc.array(fc.nat(), { minLength: 1, maxLength: 6 })).map(([bytes, flips]) => {
    const flipped = bytes.slice();
    for (const f of flips) flipped[f % flipped.length]! ^= 1 << (f % 8);
    return { kind: "bit-flipped", bytes: flipped };
  }),
  // Field 15, varint: unknown to every message.
  validFrame.map((bytes) => ({ kind: "an unknown field", bytes: concat(bytes, new Uint8Array([0x78, 0x01])) })),
  fc.tuple(validFrame, validFrame).map(([a, b]) => ({ kind: "two bodies in one frame", bytes: concat(a, b.subarray(HEADER_BYTES)) })),
);

// ---- the fuzz ---------------------------------------------------------------------------------

const CLOSE_CODES = new Set([1002, 1008, 1009]);

describe("frames from a hostile device", () => {
  it(`${RUNS} seeded frames: each answered with a typed status (never INTERNAL) or a typed close, the relay keeps serving, and nobody else's rows change`, async () => {
    const before = await adaRows();
    const memoryBefore = process.memoryUsage().rss;
    let mallory = await RawRelaySocket.hello(relay.syncUrl, "mallory", "mallory-laptop");
    const findings: string[] = [];

    await fc.assert(
      fc.asyncProperty(frame, async ({ kind, bytes }) => {
        if (mallory.closed) mallory = await RawRelaySocket.hello(relay.syncUrl, "mallory", "mallory-laptop");
        mallory.sendBytes(bytes);
        const id = readRequestId(bytes);
        const reply = await Promise.race([mallory.reply(id).catch(() => undefined), mallory.closedPromise.then(() => undefined)]);
        if (!reply) {
          if (!mallory.closed || !CLOSE_CODES.has(mallory.closed.code)) findings.push(`${kind}: closed without a close code (${mallory.closed?.code})`);
          return;
        }
        const refusals: { code: Code; message: string }[] = [];
        if (reply.body.case === "error") refusals.push(reply.body.value);
        if (reply.body.case === "sync") for (const r of reply.body.value.results) if (r.status === SyncStatus.ERROR) refusals.push({ code: r.code, message: r.errorMessage });
        for (const { code, message } of refusals) {
          if (code === Code.INTERNAL || code === Code.OK || !(code in Code)) findings.push(`${kind}: ${codeName(code)} ${message.slice(0, 120)}`);
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );

    // Still serving: Ada pulls her workout and Mallory says hello again.
    const pull = await ada.request({ case: "pull", value: { cursor: 0n } });
    expect(pull.body.case).toBe("pull");
    if (pull.body.case === "pull") expect(pull.body.value.entities.map((e) => e.entityId)).toEqual([adaWorkout]);
    (await RawRelaySocket.hello(relay.syncUrl, "mallory", "mallory-laptop")).close();
    mallory.close();

    expect(await adaRows()).toEqual(before);
    expect(findings).toEqual([]);
    expect(process.memoryUsage().rss - memoryBefore).toBeLessThan(MEMORY_GROWTH_BOUND);
  }, 300_000);
});
