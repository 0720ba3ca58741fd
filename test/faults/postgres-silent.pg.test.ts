// The path between the relay and Postgres goes silent: a TCP proxy drops the bytes both ways and
// closes nothing, as when the server or the route to it is gone and no reset reaches the relay.
// A statement sent on such a connection never gets its answer. Unbounded, it hung its caller;
// and since a person's pushes are serialised at the relay, every later push of that person, on
// any connection, waited behind it: their devices could not sync again though Postgres took new
// connections (the convergence property's "cannot sync after heal"). Each statement now has a
// deadline: the push is answered UNAVAILABLE, the silent connection is destroyed, and the next
// push of the same person is stored on a new one.
//
// Also here, a server that goes away at the worst moment for the pool: Postgres's shutdown notice
// arriving in the same read as a new connection's "ready". The pool hands the connection over and
// the notice is parsed before the store can listen for errors on it: an 'error' event with no
// listener, which ended the relay process (the convergence property's relay died so on a
// Postgres fast restart, once in 200 runs beside other test files).
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { Operation, SyncStatus } from "../../schema/protocol/frames.js";
import { Code } from "../../schema/status.js";
import { openPgStore } from "../../relay/store/index.js";
import { startTestRelay } from "../support/accounts.js";
import { workout } from "../support/devices.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
import { Cleanups, guard } from "./fixtures.js";
import { freshRelaySchema } from "./relay-process.js";
import { TcpProxy } from "./tcp-proxy.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** The store's deadline per statement, short so the test is quick; a real relay waits 10 s. */
const QUERY_TIMEOUT_MS = 300;
/** A backstop against a hang (the failure this test is about), far above the deadline. */
const HANG_MS = 20_000;

function createItem(label: string) {
  const id = idFor(label);
  const doc = entityDoc("workout", id, workout(label, [{ name: "Squat", sets: [[5, 140]] }]));
  return { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0, timestamp: 1n };
}

/** The sync request's answer: each item's status, or the error's code and message. */
async function push(socket: RawRelaySocket, label: string): Promise<string> {
  const { body } = await socket.request({ case: "sync", value: { items: [createItem(label)] } });
  if (body.case === "error") return `${Code[body.value.code]}: ${body.value.message}`;
  if (body.case !== "sync") return body.case;
  return body.value.results.map((r) => SyncStatus[r.status]).join(", ");
}

/** A fresh schema of the machine's Postgres, and its address through a proxy of the test's. */
async function schemaBehindProxy(): Promise<{ proxy: TcpProxy; url: string }> {
  const schema = await freshRelaySchema();
  cleanups.add(() => schema.drop());
  const direct = new URL(schema.url);
  const proxy = await TcpProxy.open({ port: Number(direct.port || 5432) });
  cleanups.add(() => proxy.close());
  const viaProxy = new URL(direct);
  viaProxy.port = String(proxy.port);
  return { proxy, url: viaProxy.toString() };
}

/** Postgres's ReadyForQuery (idle): the end of a new connection's start-up. */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);

/** The ErrorResponse each backend sends when the server is stopped in fast mode. */
function adminShutdown(): Buffer {
  const fields = [
    ["S", "FATAL"],
    ["V", "FATAL"],
    ["C", "57P01"],
    ["M", "terminating connection due to administrator command"],
  ].map(([key, value]) => Buffer.from(`${key}${value}\0`));
  const body = Buffer.concat([...fields, Buffer.from([0])]);
  const head = Buffer.alloc(5);
  head.write("E", 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

describe("Postgres shuts down just as a new connection of the relay becomes ready", () => {
  it("the statement waiting for it fails, the relay process goes on, and the next statement is answered", async () => {
    const { proxy, url } = await schemaBehindProxy();
    let idleGone = (): void => undefined;
    const gone = new Promise<void>((resolve) => (idleGone = resolve));
    const store = await openPgStore(url, { max: 1, onIdleError: () => idleGone() });
    cleanups.add(() => store.close());
    // The migration's connection goes (the pool drops it), so the next statement opens a new one.
    proxy.cut();
    await gone;
    proxy.lastWordsAfter(READY_FOR_QUERY, adminShutdown());
    await expect(store.get("ada", "no-such-entity")).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(await store.get("ada", "no-such-entity")).toBeNull();
  });
});

describe("the path from the relay to Postgres goes silent", () => {
  it("a push whose statement gets no answer is answered UNAVAILABLE, and the person's next push is stored", async () => {
    const { proxy, url } = await schemaBehindProxy();
    // One connection: the push below is sure to take the one that goes silent, not a new one.
    const store = await openPgStore(url, { max: 1, onIdleError: () => undefined, queryTimeoutMillis: QUERY_TIMEOUT_MS });
    const relay = await startTestRelay({ store });
    cleanups.add(() => relay.close());
    const phone = await RawRelaySocket.hello(relay.syncUrl, "ada", "phone");
    cleanups.add(() => phone.close());

    proxy.blackhole();
    const silent = await guard(push(phone, "pushed while silent"), HANG_MS, () => "the push sent while Postgres was silent has no answer");
    expect(silent).toMatch(/^UNAVAILABLE: store unavailable/);

    // The network is back; the silent connection stays dead (its bytes are lost), so a working
    // store is one that dropped it.
    proxy.pass();
    const again = await guard(push(phone, "pushed after"), HANG_MS, () => "the push after the path came back has no answer");
    expect(again).toBe("SUCCESS");
    expect(await guard(push(phone, "pushed while silent"), HANG_MS, () => "the retried push has no answer")).toBe("SUCCESS");
  });
});
