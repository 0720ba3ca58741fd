// What an operator sees of a relay: GET /metrics after a scripted run over real sockets shows
// exactly the requests, items, conflicts, fan-outs and store calls that happened; GET /readyz
// answers 503 while the relay's Postgres (a private cluster, restarted for real) is down and 200
// once it is back; GET /healthz answers throughout.
import * as A from "@automerge/automerge";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import { Operation, SyncStatus } from "../../schema/protocol/frames.js";
import type { Relay } from "../../relay/server.js";
import { CACHING_BATCH_ITEMS } from "../../relay/sync-service.js";
import { openPgStore } from "../../relay/store/index.js";
import { startTestRelay } from "../support/accounts.js";
import { privatePostgres, type PrivatePostgres } from "../support/private-postgres.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
import { workout } from "../support/devices.js";
import { Cleanups } from "../faults/fixtures.js";
import { freshPgStore, withAdmin } from "../support/databases.js";
import type { AutomergeProbeApi } from "../../relay/automerge-readiness.js";

function terminated(): never {
  throw new Error("Module terminated");
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

let cluster: PrivatePostgres | undefined;
afterAll(() => cluster?.destroy());

async function relayOnPrivatePostgres(): Promise<{ relay: Relay; cluster: PrivatePostgres }> {
  cluster ??= await privatePostgres();
  const url = cluster.url(await cluster.createDatabase("metrics"));
  const store = await openPgStore(url, { max: 4, onIdleError: () => undefined });
  const relay = await startTestRelay({ store });
  cleanups.add(() => relay.close().catch(() => undefined));
  return { relay, cluster };
}

async function connect(relay: Relay, deviceId: string): Promise<RawRelaySocket> {
  const socket = await RawRelaySocket.hello(relay.syncUrl, "ada", deviceId);
  cleanups.add(() => socket.close());
  return socket;
}

/** A sample of the Prometheus text: name and labels as written, e.g. `x_total{code="OK"}`. */
async function scrape(relay: Relay): Promise<Map<string, number>> {
  const res = await fetch(`${relay.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The samples of the metric families named, without histogram buckets. */
function family(samples: Map<string, number>, ...names: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of samples) {
    if (key.includes("_bucket{")) continue;
    if (names.some((name) => key === name || key.startsWith(`${name}{`))) out[key] = value;
  }
  return out;
}

async function status(relay: Relay, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${relay.url}${path}`);
  return { status: res.status, body: await res.json() };
}

function create(label: string) {
  const id = idFor(label);
  const doc = entityDoc("workout", id, workout(label, [{ name: "Squat", sets: [[5, 140]] }]));
  return { id, doc, item: { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0, timestamp: 1n } };
}

async function sync(socket: RawRelaySocket, items: object[]) {
  const reply = await socket.request({ case: "sync", value: { items } });
  return reply.body;
}

describe("the relay's metrics and health", () => {
  it("after creates, a conflict, a refused item and a retry, /metrics shows exactly those counts; /readyz follows Postgres", async () => {
    const { relay, cluster } = await relayOnPrivatePostgres();
    const phone = await connect(relay, "phone");
    const tablet = await connect(relay, "tablet"); // receives the fan-out

    expect(await status(relay, "/readyz")).toEqual({ status: 200, body: { ready: true, checks: { database: "ok", automerge: "ok", accepting: "ok" } } });

    // Two creates in one request.
    const squat = create("metrics squat");
    const bench = create("metrics bench");
    const first = await sync(phone, [squat.item, bench.item]);
    expect(first.case === "sync" && first.value.results.map((r) => r.status)).toEqual([SyncStatus.SUCCESS, SyncStatus.SUCCESS]);

    // An edit on version 1, then a second edit also built on version 1: a conflict.
    const edit = (notes: string) => {
      const doc = A.change(A.clone(squat.doc), (d) => {
        d.payload.notes = notes;
      });
      return { entityType: "workout", entityId: squat.id, operation: Operation.UPDATE, data: A.saveSince(doc, A.getHeads(squat.doc)), version: 1, timestamp: 2n };
    };
    const edited = await sync(phone, [edit("first")]);
    expect(edited.case === "sync" && edited.value.results[0]?.status).toBe(SyncStatus.SUCCESS);
    const conflicted = await sync(phone, [edit("second")]);
    expect(conflicted.case === "sync" && conflicted.value.results[0]?.status).toBe(SyncStatus.CONFLICT);

    // An item the relay refuses: its changes are not Automerge data.
    const garbage = { ...create("metrics garbage").item, data: new Uint8Array([1, 2, 3]) };
    const refused = await sync(phone, [garbage]);
    expect(refused.case === "sync" && refused.value.results[0]?.code).toBe(Code.INVALID_ARGUMENT);

    // A create pushed while Postgres is down is refused UNAVAILABLE, and /readyz says so; the
    // retry once it is back is stored.
    const row = create("metrics row");
    await cluster.restart("fast", async () => {
      const down = await sync(phone, [row.item]);
      expect(down).toMatchObject({ case: "error", value: { code: Code.UNAVAILABLE } });
      const ready = await status(relay, "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ ready: false, checks: { database: expect.stringMatching(/store unavailable/) as unknown } });
      expect((await status(relay, "/healthz")).status).toBe(200);
    });
    expect(await status(relay, "/readyz")).toEqual({ status: 200, body: { ready: true, checks: { database: "ok", automerge: "ok", accepting: "ok" } } });
    const retried = await sync(phone, [row.item]);
    expect(retried.case === "sync" && retried.value.results[0]?.status).toBe(SyncStatus.SUCCESS);

    const samples = await scrape(relay);
    expect(family(samples, "ironflow_sync_requests_total")).toEqual({
      'ironflow_sync_requests_total{code="OK"}': 5,
      'ironflow_sync_requests_total{code="UNAVAILABLE"}': 1,
    });
    expect(family(samples, "ironflow_sync_items_total")).toEqual({
      'ironflow_sync_items_total{outcome="success",code="OK"}': 4,
      'ironflow_sync_items_total{outcome="conflict",code="ABORTED"}': 1,
      'ironflow_sync_items_total{outcome="error",code="INVALID_ARGUMENT"}': 1,
    });
    expect(family(samples, "ironflow_sync_conflicts_total")).toEqual({
      'ironflow_sync_conflicts_total{entity_type="workout",strategy="user_choice"}': 1,
    });
    // One observation per answered request; one per snapshot handed to the tablet: the two
    // creates, the edit, the version the conflict was answered with (published again), the retry.
    expect(samples.get("ironflow_sync_push_to_ack_seconds_count")).toBe(5);
    expect(samples.get("ironflow_fanout_lag_seconds_count")).toBe(5);
    expect(samples.get("ironflow_open_connections")).toBe(2);
    // Stored: the two creates, the edit, the retry (the conflict and the refusal never reach it).
    expect(samples.get('ironflow_store_seconds_count{operation="write_batch",result="ok"}')).toBe(3);
    // Looked up: squat and bench (new), squat's edit (cached), squat's conflicting edit (the
    // cached copy is on another version than the push built on: the row decides, a miss),
    // garbage (new), row once (new; while Postgres was down the batch failed earlier, at the
    // exercise library's cursor check that every creating batch makes).
    expect(family(samples, "ironflow_document_cache_lookups_total")).toEqual({
      'ironflow_document_cache_lookups_total{result="hit"}': 1,
      'ironflow_document_cache_lookups_total{result="miss"}': 5,
    });
    expect(samples.get("ironflow_document_cache_documents")).toBe(3);
    // Every batch gave back what it held: stored, conflicting, refused, and the one Postgres failed.
    expect(samples.get("ironflow_document_cache_held_documents")).toBe(0);
    // prom-client's default metrics: the event loop's lag among them.
    expect(samples.has("nodejs_eventloop_lag_seconds")).toBe(true);
    const handed = tablet.unasked().flatMap((f) => (f.body.case === "changes" ? f.body.value.entities : []));
    expect(handed.map((e) => [e.entityId === squat.id, e.version])).toEqual([
      [true, 1],
      [false, 1],
      [true, 2],
      [true, 2], // the version the conflict was answered with, whole, published again
      [false, 1],
    ]);
    expect(handed[3]?.data).not.toHaveLength(0);
  });

  it("a batch reads the rows of the documents it does not have cached a group at a time, not one round trip per item", async () => {
    const { relay } = await relayOnPrivatePostgres();
    const phone = await connect(relay, "phone");
    const created = Array.from({ length: 40 }, (_, i) => create(`batch read ${i}`));
    const stored = await sync(phone, created.map((c) => c.item));
    expect(stored.case === "sync" && stored.value.results.every((r) => r.status === SyncStatus.SUCCESS)).toBe(true);
    const samples = await scrape(relay);
    // 40 creates, none cached: groups of 32 and 8; and the exercise library's cursor and ids, read once.
    expect(family(samples, "ironflow_store_seconds_count")).toEqual({
      'ironflow_store_seconds_count{operation="changes_since",result="ok"}': 1,
      'ironflow_store_seconds_count{operation="get_many",result="ok"}': 2,
      'ironflow_store_seconds_count{operation="latest_cursors",result="ok"}': 1,
      'ironflow_store_seconds_count{operation="write_batch",result="ok"}': 1,
    });
  });

  it(`a batch of more than ${CACHING_BATCH_ITEMS} items (a device catching up) keeps cached only the documents it took from the cache`, async () => {
    const { relay } = await relayOnPrivatePostgres();
    const phone = await connect(relay, "phone");
    const allStored = (body: Awaited<ReturnType<typeof sync>>) => body.case === "sync" && body.value.results.every((r) => r.status === SyncStatus.SUCCESS);
    const cached = async () => (await scrape(relay)).get("ironflow_document_cache_documents");
    // A live edit's few items: what they create stays cached for the next edit.
    const squat = create("catch-up squat");
    const bench = create("catch-up bench");
    expect(allStored(await sync(phone, [squat.item, bench.item]))).toBe(true);
    expect(await cached()).toBe(2);
    // A catch-up: an edit of the cached squat among creates. The squat's new version goes back
    // into the cache; the created documents are freed once stored.
    const doc = A.change(A.clone(squat.doc), (d) => {
      d.payload.notes = "after the week away";
    });
    const edit = { entityType: "workout", entityId: squat.id, operation: Operation.UPDATE, data: A.saveSince(doc, A.getHeads(squat.doc)), version: 1, timestamp: 2n };
    const creates = Array.from({ length: CACHING_BATCH_ITEMS }, (_, i) => create(`catch-up ${i}`).item);
    expect(allStored(await sync(phone, [edit, ...creates]))).toBe(true);
    const samples = await scrape(relay);
    expect(samples.get("ironflow_document_cache_documents")).toBe(2);
    expect(samples.get("ironflow_document_cache_held_documents")).toBe(0);
    expect(family(samples, "ironflow_document_cache_lookups_total")).toEqual({
      'ironflow_document_cache_lookups_total{result="hit"}': 1,
      'ironflow_document_cache_lookups_total{result="miss"}': 2 + CACHING_BATCH_ITEMS,
    });
    // The squat's next edit finds the version the catch-up stored, cached.
    const next = A.change(A.clone(doc), (d) => {
      d.payload.notes = "back at it";
    });
    const again = { entityType: "workout", entityId: squat.id, operation: Operation.UPDATE, data: A.saveSince(next, A.getHeads(doc)), version: 2, timestamp: 3n };
    expect(allStored(await sync(phone, [again]))).toBe(true);
    expect((await scrape(relay)).get('ironflow_document_cache_lookups_total{result="hit"}')).toBe(2);
  });

  it("devices' sync health, reported with their pulls, is summed over connected devices and leaves with them", async () => {
    const { relay } = await relayOnPrivatePostgres();
    const phone = await connect(relay, "phone");
    const tablet = await connect(relay, "tablet");
    const pull = (socket: RawRelaySocket, health: object) => socket.request({ case: "pull", value: { cursor: 0n, health } });
    await pull(phone, { queueDepth: 7, retryCounts: [{ retries: 0, items: 4 }, { retries: 1, items: 2 }, { retries: 9, items: 1 }], waitingForManualSync: 1, conflictsWaiting: 2 });
    await pull(tablet, { queueDepth: 3, retryCounts: [{ retries: 1, items: 3 }] });
    // A later report of the same connection replaces its earlier one.
    await pull(tablet, { queueDepth: 1, retryCounts: [{ retries: 1, items: 1 }] });
    await phone.request({ case: "pull", value: { cursor: 0n } }); // no health: nothing changes

    const samples = await scrape(relay);
    expect(family(samples, "ironflow_devices_reporting", "ironflow_device_queued_items", "ironflow_device_items_waiting_for_manual_sync", "ironflow_device_conflicts_waiting", "ironflow_device_items_by_retries", "ironflow_device_reports_total")).toEqual({
      ironflow_devices_reporting: 2,
      ironflow_device_queued_items: 8,
      ironflow_device_items_waiting_for_manual_sync: 1,
      ironflow_device_conflicts_waiting: 2,
      'ironflow_device_items_by_retries{retries="0"}': 4,
      'ironflow_device_items_by_retries{retries="1"}': 3,
      'ironflow_device_items_by_retries{retries="6+"}': 1,
      ironflow_device_reports_total: 3,
    });
    expect(samples.get("ironflow_device_queue_depth_count")).toBe(3);
    expect(samples.get('ironflow_device_queue_depth_bucket{le="5"}')).toBe(2);

    phone.close();
    await phone.closedPromise;
    for (;;) {
      const now = await scrape(relay);
      if (now.get("ironflow_open_connections") === 1) {
        expect(now.get("ironflow_devices_reporting")).toBe(1);
        expect(now.get("ironflow_device_queued_items")).toBe(1);
        break;
      }
    }
  });

  it("two relays in one process count their own", async () => {
    const { relay: one } = await relayOnPrivatePostgres();
    const { relay: two } = await relayOnPrivatePostgres();
    const phone = await connect(one, "phone");
    await sync(phone, [create("metrics one").item]);
    expect(family(await scrape(one), "ironflow_sync_requests_total")).toEqual({ 'ironflow_sync_requests_total{code="OK"}': 1 });
    expect(family(await scrape(two), "ironflow_sync_requests_total")).toEqual({});
  });

  it("a trapped Automerge module makes /readyz 503 while /healthz still answers: the orchestrator restarts the relay", async () => {
    // No input traps Automerge's module deterministically in a test (it took 4 GiB of documents
    // in issue 21), so the relay probes a stand-in that answers as a trapped module does after
    // wasm-bindgen marked it terminated: every call throws "Module terminated".
    let trapped = false;
    const automergeProbe: AutomergeProbeApi = {
      from: (...args) => (trapped ? terminated() : A.from(...args)),
      save: (doc) => (trapped ? terminated() : A.save(doc)),
      load: (...args) => (trapped ? terminated() : A.load(...args)),
      free: (doc) => (trapped ? terminated() : A.free(doc)),
    };
    const db = await freshPgStore();
    const relay = await startTestRelay({ store: db.store, automergeProbe });
    cleanups.add(db.close);
    cleanups.add(() => relay.close().catch(() => undefined));
    expect(await status(relay, "/readyz")).toEqual({ status: 200, body: { ready: true, checks: { database: "ok", automerge: "ok", accepting: "ok" } } });
    trapped = true;
    expect(await status(relay, "/readyz")).toEqual({
      status: 503,
      body: { ready: false, checks: { database: "ok", automerge: "Automerge's WebAssembly module fails (Module terminated): restart the relay", accepting: "ok" } },
    });
    expect((await status(relay, "/healthz")).status).toBe(200);
  });

  it("a readiness check another part adds makes /readyz 503 while it fails", async () => {
    const { relay } = await relayOnPrivatePostgres();
    let natsUp = false;
    relay.addReadinessCheck({
      name: "nats",
      check: () => (natsUp ? Promise.resolve() : Promise.reject(new Error("not connected"))),
    });
    expect(await status(relay, "/readyz")).toEqual({ status: 503, body: { ready: false, checks: { database: "ok", automerge: "ok", accepting: "ok", nats: "not connected" } } });
    natsUp = true;
    expect((await status(relay, "/readyz")).status).toBe(200);
  });

  it("a migration this code has that the database lacks makes /readyz 503, naming it; applied again, 200", async () => {
    const db = await freshPgStore();
    const relay = await startTestRelay({ store: db.store });
    cleanups.add(() => db.close());
    cleanups.add(() => relay.close().catch(() => undefined));
    expect((await status(relay, "/readyz")).status).toBe(200);
    // As a database looks to a newer relay before its migrations ran: the last one's record is gone.
    const forgotten = await withAdmin(async (admin) => {
      const { rows } = await admin.query<{ name: string }>(`DELETE FROM ${db.schema}.schema_migrations WHERE name = (SELECT max(name) FROM ${db.schema}.schema_migrations) RETURNING name`);
      return rows[0]!.name;
    });
    expect(await status(relay, "/readyz")).toEqual({
      status: 503,
      body: { ready: false, checks: { database: `migrations not applied: ${forgotten}`, automerge: "ok", accepting: "ok" } },
    });
    expect((await status(relay, "/healthz")).status).toBe(200);
    await withAdmin((admin) => admin.query(`INSERT INTO ${db.schema}.schema_migrations (name) VALUES ($1)`, [forgotten]));
    expect((await status(relay, "/readyz")).status).toBe(200);
  });
});
