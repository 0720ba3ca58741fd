// `npm run bench:ingest`: relay ingest, 100 devices pushing at once (issue 17), beside its anchor
// in the same run: raw single-row optimistic-lock commits through `pg` at 16 clients (the relay's
// pool size), measured before and after ours.
// Our side is the real relay on the machine's Postgres (a fresh schema, dropped after) and 100
// lightweight protocol clients (test/support/raw-relay-socket.ts: a WebSocket that sends sync
// frames and reads replies, no device store), so setting up 100 devices costs 100 sign-ins.
// Each device is its own person (the relay serialises one person's batches, as 100 people's
// phones would be). Every device pushes the same prepared bytes (entity ids are per person):
// WORKOUTS creates in batches of BATCH, then EDITS rounds of one added set per workout, each
// batch after the previous one's answer. The figures are acknowledged items per second from the
// first push until the last device's last answer, per phase, and this process's CPU per item
// (the relay plus the clients' encode and decode; clients do no Automerge work while timed).
// Beside both, Automerge's own work per item (anchors/automerge-floor.ts): one A.load of what the
// relay loads to validate each push, the same bytes, and the items per second that allows.
// It measures; it never passes or fails on time. Writes bench/results/ingest.json.
// Knobs: BENCH_INGEST_DEVICES (100), BENCH_INGEST_WORKOUTS (50), BENCH_INGEST_BATCH (25),
// BENCH_INGEST_EDITS (1), BENCH_ANCHOR_MS (3000), BENCH_INGEST_CPU_PROF=<dir> (a CPU profile of
// the timed phases), DATABASE_URL.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadavg, cpus } from "node:os";
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl, type DocumentId } from "@automerge/automerge-repo";
import { create } from "@bufbuild/protobuf";
import { Operation, SyncItemSchema, SyncStatus, type SyncItem } from "../schema/protocol/frames.js";
import type { EntityDocument } from "../schema/entities.js";
import { Code } from "../schema/status.js";
import { startRelay } from "../relay/server.js";
import { openStore } from "../relay/store/index.js";
import { RawRelaySocket } from "../test/support/raw-relay-socket.js";
import { measureAutomergeLoadFloor, type AutomergeLoadFloor } from "./anchors/automerge-floor.js";
import { pgLockRate, type LockRate } from "./anchors/pg-lock-rate.js";
import { BENCH_FRAMES_PER_SECOND } from "./relay-pair.js";
import { fmtRate, fmtRatio, latencyStats, table, type LatencyStats } from "./report.js";
import { BENCH_AUTH } from "./support/account.js";
import { Cleanup, withTimeout } from "./support/bounded.js";
import { cpuClock } from "./support/cpu.js";
import { profileWindow } from "./support/cpu-profile.js";
import { createBenchSchema, databaseUrl, serverFacts } from "./support/postgres.js";
import { addedSet, workoutDocument } from "./workload.js";

const DEVICES = Number(process.env["BENCH_INGEST_DEVICES"] ?? 100);
const WORKOUTS = Number(process.env["BENCH_INGEST_WORKOUTS"] ?? 50);
const BATCH = Number(process.env["BENCH_INGEST_BATCH"] ?? 25);
const EDITS = Number(process.env["BENCH_INGEST_EDITS"] ?? 1);
const ANCHOR_CLIENTS = 16;
const ANCHOR_MS = Number(process.env["BENCH_ANCHOR_MS"] ?? 3000);
const PHASE_TIMEOUT_MS = 600_000;
const RETRIED = new Set([Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED]);
const MAX_RETRIES = 10_000;
const cpuProfDir = process.env["BENCH_INGEST_CPU_PROF"] || undefined;

/** What every device pushes: each workout's whole history, then one added set per edit round. */
interface Prepared {
  ids: DocumentId[];
  creates: Uint8Array[];
  /** edits[round][workout]: the changes since the previous round's heads. */
  edits: Uint8Array[][];
  docBytes: number;
}

function prepare(): Prepared {
  const now = Date.now();
  const ids: DocumentId[] = [];
  const creates: Uint8Array[] = [];
  const edits: Uint8Array[][] = Array.from({ length: EDITS }, () => []);
  let docBytes = 0;
  for (let w = 0; w < WORKOUTS; w++) {
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    ids.push(id);
    let doc = A.from<EntityDocument<"workout">>(workoutDocument(w, id, "ingest-device", "ingest", now));
    creates.push(A.save(doc));
    for (let e = 0; e < EDITS; e++) {
      const heads = A.getHeads(doc);
      const { exercise, set } = addedSet(e);
      doc = A.change(doc, (d) => {
        d.payload.exercises[exercise]!.sets.push(set);
        d.updatedAt = now + e + 1;
      });
      edits[e]!.push(A.saveSince(doc, heads));
    }
    docBytes = A.save(doc).length;
    A.free(doc);
  }
  return { ids, creates, edits, docBytes };
}

interface Phase {
  items: number;
  ms: number;
  itemsPerSecond: number;
  cpuMsPerItem: number;
  /** Time from sending a batch to its answer (retries included). */
  batchReply: LatencyStats;
  /** Batches the relay answered "busy, retry" (and why): sent again after its delay. */
  retries: number;
  retryReasons: string[];
}

/** Every device pushes its batches (one in flight each), all devices at once. */
async function pushPhase(devices: RawRelaySocket[], batches: readonly SyncItem[][], expectVersion: number): Promise<Phase> {
  const replies: number[] = [];
  const retries: string[] = [];
  let count = 0;
  const cpu = cpuClock();
  const start = performance.now();
  await Promise.all(
    devices.map(async (socket, d) => {
      const deviceId = deviceName(d);
      for (const batch of batches) {
        const sent = performance.now();
        let reply = await socket.request({ case: "sync", value: { deviceId, items: batch } });
        // As a device does: a busy relay (UNAVAILABLE, RESOURCE_EXHAUSTED) is asked again after
        // the delay it gives. Counted, and the batch's time includes the wait.
        while (reply.body.case === "error" && RETRIED.has(reply.body.value.code) && retries.length < MAX_RETRIES) {
          retries.push(`${Code[reply.body.value.code]}: ${reply.body.value.message}`);
          const delayMs = reply.body.value.retryAfterMs || 1000;
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          reply = await socket.request({ case: "sync", value: { deviceId, items: batch } });
        }
        replies.push(performance.now() - sent);
        if (reply.body.case === "error") {
          throw new Error(`${deviceId}: a push answered ${Code[reply.body.value.code]}: ${reply.body.value.message}`);
        }
        if (reply.body.case !== "sync") throw new Error(`${deviceId}: a push answered with ${reply.body.case}`);
        for (const result of reply.body.value.results) {
          if (result.status !== SyncStatus.SUCCESS || result.serverVersion !== expectVersion) {
            throw new Error(`${deviceId}: ${result.entityId} answered ${SyncStatus[result.status]} ${result.errorMessage} (version ${result.serverVersion})`);
          }
        }
        count += batch.length;
      }
    }),
  );
  const ms = performance.now() - start;
  const cpuMs = cpu();
  const reasons = [...new Set(retries.map((r) => r.slice(0, 120)))];
  return { items: count, ms, itemsPerSecond: (count / ms) * 1000, cpuMsPerItem: cpuMs / count, batchReply: latencyStats(replies), retries: retries.length, retryReasons: reasons };
}

function inBatches<T>(all: readonly T[]): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < all.length; i += BATCH) batches.push(all.slice(i, i + BATCH));
  return batches;
}

function item(entityId: string, operation: Operation, data: Uint8Array, version: number): SyncItem {
  return create(SyncItemSchema, { entityType: "workout", entityId, operation, data, version });
}

function deviceName(d: number): string {
  return `ingest-device-${d}`;
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const load = { start: loadavg()[0]! };
    const postgres = await serverFacts();
    const schema = await createBenchSchema();
    cleanup.add("schema", () => schema.drop());
    const prepared = prepare();

    const anchorBefore = await pgLockRate({ clients: ANCHOR_CLIENTS, durationMs: ANCHOR_MS, schema: schema.name, doc: prepared.creates[0]! });

    // The relay and its devices close before the second anchor measurement; the schema last.
    const live = new Cleanup();
    cleanup.add("relay and devices", () => live.run());
    const store = await openStore({ databaseUrl, pg: { searchPath: schema.name } });
    const relay = await startRelay({ store, host: "127.0.0.1", port: 0, limits: { framesPerSecond: BENCH_FRAMES_PER_SECOND }, auth: BENCH_AUTH });
    live.add("relay", () => relay.close());
    const setupStart = performance.now();
    const devices: RawRelaySocket[] = [];
    for (let d = 0; d < DEVICES; d++) {
      const socket = await withTimeout(RawRelaySocket.hello(relay.syncUrl, `ingest-${schema.name}-person-${d}`, deviceName(d)), 60_000, `device ${d} saying hello`);
      live.add(`device ${d}`, () => {
        socket.close();
        return Promise.resolve();
      });
      devices.push(socket);
    }
    const setupMs = performance.now() - setupStart;

    const profile = cpuProfDir ? await profileWindow(cpuProfDir, "ingest") : undefined;
    const creates = await withTimeout(
      pushPhase(devices, inBatches(prepared.creates.map((data, w) => item(prepared.ids[w]!, Operation.CREATE, data, 0))), 1),
      PHASE_TIMEOUT_MS,
      "the create phase",
    );
    const updates: Phase[] = [];
    for (let e = 0; e < EDITS; e++) {
      const round = prepared.edits[e]!;
      updates.push(
        await withTimeout(
          pushPhase(devices, inBatches(round.map((data, w) => item(prepared.ids[w]!, Operation.UPDATE, data, e + 1))), e + 2),
          PHASE_TIMEOUT_MS,
          `edit round ${e}`,
        ),
      );
    }
    const profilePath = await profile?.stop();
    const closeFailures = await live.run();
    if (closeFailures.length > 0) console.error(`closing: ${closeFailures.join("; ")}`);

    const anchorAfter = await pgLockRate({ clients: ANCHOR_CLIENTS, durationMs: ANCHOR_MS, schema: schema.name, doc: prepared.creates[0]! });
    const floor = automergeFloor(prepared);
    report({ load: { start: load.start, end: loadavg()[0]! }, postgres, prepared, setupMs, anchorBefore, anchorAfter, creates, updates, floor, profilePath });
  } finally {
    const failures = await cleanup.run();
    if (failures.length > 0) console.error(`cleanup: ${failures.join("; ")}`);
  }
}

/**
 * Automerge's own work per item, after ours (its WebAssembly as warm as it was for the relay): a
 * create loads the pushed bytes; an update of a document the relay's cache let go (5,000 of them
 * here) loads the stored row with the pushed changes after it.
 */
function automergeFloor(prepared: Prepared): { creates: AutomergeLoadFloor; updates: AutomergeLoadFloor | null } {
  const rounds = 4;
  const repeat = <T>(list: T[]) => Array.from({ length: rounds }, () => list).flat();
  const firstEdits = prepared.edits[0];
  return {
    creates: measureAutomergeLoadFloor(repeat(prepared.creates)),
    updates: firstEdits ? measureAutomergeLoadFloor(repeat(prepared.creates.map((bytes, w) => Buffer.concat([bytes, firstEdits[w]!])))) : null,
  };
}

interface Report {
  load: { start: number; end: number };
  postgres: Awaited<ReturnType<typeof serverFacts>>;
  prepared: Prepared;
  setupMs: number;
  anchorBefore: LockRate;
  anchorAfter: LockRate;
  creates: Phase;
  updates: Phase[];
  floor: { creates: AutomergeLoadFloor; updates: AutomergeLoadFloor | null };
  profilePath: string | undefined;
}

function report(r: Report): void {
  const anchor = (r.anchorBefore.commitsPerSecond + r.anchorAfter.commitsPerSecond) / 2;
  const updateItems = r.updates.reduce((n, p) => n + p.items, 0);
  const updateMs = r.updates.reduce((n, p) => n + p.ms, 0);
  const updateRate = updateItems > 0 ? (updateItems / updateMs) * 1000 : 0;
  const all = ((r.creates.items + updateItems) / (r.creates.ms + updateMs)) * 1000;
  const rows = [
    ["anchor: raw pg optimistic-lock UPDATE, 16 clients (before / after ours)", `${fmtRate(r.anchorBefore.commitsPerSecond)} / ${fmtRate(r.anchorAfter.commitsPerSecond)}`, "", "1.00x"],
    ["relay ingest: creates", fmtRate(r.creates.itemsPerSecond), r.creates.cpuMsPerItem.toFixed(2), fmtRatio(r.creates.itemsPerSecond / anchor)],
    ["relay ingest: updates (one added set)", fmtRate(updateRate), r.updates[0]?.cpuMsPerItem.toFixed(2) ?? "", fmtRatio(updateRate / anchor)],
    ["relay ingest: all items", fmtRate(all), "", fmtRatio(all / anchor)],
    ...floorRows(r.floor, anchor),
  ];
  console.log(`relay ingest: ${DEVICES} devices, ${WORKOUTS} workouts each in batches of ${BATCH}, ${EDITS} edit round(s); ${cpus().length} CPUs, load ${r.load.start.toFixed(1)} -> ${r.load.end.toFixed(1)}`);
  console.log(table(["measure", "items/s", "CPU ms/item (this process)", "ratio to anchor"], rows));
  console.log(`batch answer p50 / p99: creates ${r.creates.batchReply.p50.toFixed(1)} / ${r.creates.batchReply.p99.toFixed(1)} ms; updates ${r.updates[0]?.batchReply.p50.toFixed(1)} / ${r.updates[0]?.batchReply.p99.toFixed(1)} ms`);
  const retried = [r.creates, ...r.updates].filter((p) => p.retries > 0);
  for (const p of retried) console.log(`retried ${p.retries} batch(es): ${p.retryReasons.join(" | ")}`);
  if (r.profilePath) console.log(`CPU profile: ${r.profilePath}`);
  const results = {
    section: "relay ingest, 100 devices pushing concurrently",
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, loadAverageStart: r.load.start, loadAverageEnd: r.load.end, postgres: r.postgres },
    settings: { devices: DEVICES, workoutsPerDevice: WORKOUTS, batchItems: BATCH, editRounds: EDITS, anchorClients: ANCHOR_CLIENTS, anchorMs: ANCHOR_MS, documentBytes: r.prepared.docBytes },
    setupMs: r.setupMs,
    anchor: { before: r.anchorBefore, after: r.anchorAfter, commitsPerSecond: anchor },
    creates: r.creates,
    updates: r.updates,
    ingest: {
      createItemsPerSecond: r.creates.itemsPerSecond,
      updateItemsPerSecond: updateRate,
      allItemsPerSecond: all,
      createRatioToAnchor: r.creates.itemsPerSecond / anchor,
      updateRatioToAnchor: updateRate / anchor,
      allRatioToAnchor: all / anchor,
      target: ">= 1x the anchor",
    },
    automergeFloor: {
      cores: cpus().length,
      creates: r.floor.creates,
      updates: r.floor.updates,
      createRatioToAnchor: r.floor.creates.loadsPerSecondPerCore / anchor,
      updateRatioToAnchor: r.floor.updates ? r.floor.updates.loadsPerSecondPerCore / anchor : null,
    },
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "ingest.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
  console.log(`written: bench/results/ingest.json`);
}

/** Automerge's own work as items per second on one core, and on every core of the machine, beside the anchor. */
function floorRows(floor: Report["floor"], anchor: number): string[][] {
  const cores = cpus().length;
  const row = (what: string, f: AutomergeLoadFloor) => [
    `Automerge's own work: A.load of ${what} (${f.bytes} B), one core / ${cores}`,
    `${fmtRate(f.loadsPerSecondPerCore)} / ${fmtRate(f.loadsPerSecondPerCore * cores)}`,
    f.cpuMsPerLoad.toFixed(2),
    `${fmtRatio(f.loadsPerSecondPerCore / anchor)} / ${fmtRatio((f.loadsPerSecondPerCore * cores) / anchor)}`,
  ];
  return [row("each pushed create", floor.creates), ...(floor.updates ? [row("a row with its update after it", floor.updates)] : [])];
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
