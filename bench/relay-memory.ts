// `npm run bench:relay-memory`: the relay's memory, read from outside (VmRSS in /proc) of the real
// relay process, beside Automerge Repo's sync server (the anchor) doing the same, in the same run.
// (a) Tour: N distinct workout documents pushed through each server. Ours: the relay as
//     `npm start` runs it (dist-relay/relay/main.js) on a fresh Postgres schema (or PGlite with
//     RELAY_MEMORY_BACKEND=pglite); PEOPLE people, each one raw WebSocket speaking the .proto,
//     pushing batches of BATCH creates. The anchor: Automerge Repo's sync server in a process of
//     its own (anchors/automerge-repo-server-process.ts), fed by a client Repo per CHUNK
//     documents (each dropped after the server holds its documents, so the client's memory
//     does not pile up in the driver). RSS at start, after a warm-up of WARMUP documents (our
//     document cache is full by then), and after the tour, each read plain and after a full GC
//     (forced over the process's inspector: plain RSS also counts garbage V8 has not collected
//     yet); growth = after tour / after warm-up, after GC, flat when within ±10 %.
// (b) Idle: IDLE connected devices that say hello (ours: a token of one of the people; the
//     anchor: Automerge Repo's join message) and then nothing; RSS per device = growth / IDLE.
//     Issue 17's target for ours: at most 30 KB per idle device.
// It measures; it never passes or fails. Writes bench/results/relay-memory.json.
//
// Knobs: RELAY_MEMORY_DOCS (100000), RELAY_MEMORY_WARMUP (5000, at most half the docs; more than the relay caches, 2,000),
// RELAY_MEMORY_ANCHOR_DOCS (the same as ours),
// RELAY_MEMORY_IDLE (1000), RELAY_MEMORY_BACKEND (postgres | pglite), DATABASE_URL.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as A from "@automerge/automerge";
import { Repo, cbor, generateAutomergeUrl, parseAutomergeUrl, type PeerId } from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { build, stop as stopEsbuild } from "esbuild";
import WebSocket from "ws";
import { AuthApi } from "../client/core/index.js";
import { httpOrigin } from "../client/node/open-node-client.js";
import { Operation, PROTOCOL_VERSION, SyncStatus } from "../schema/protocol/frames.js";
import { Code } from "../schema/status.js";
import { RawRelaySocket, entityDoc } from "../test/support/raw-relay-socket.js";
import { fmtRatio, table } from "./report.js";
import { benchAccount } from "./support/account.js";
import { Cleanup, withTimeout } from "./support/bounded.js";
import { createBenchSchema, databaseUrl } from "./support/postgres.js";
import { tempFolders } from "./support/temp.js";
import { benchWorkout, workoutDocument } from "./workload.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

const DOCS = envInt("RELAY_MEMORY_DOCS", 100_000);
const WARMUP = Math.min(envInt("RELAY_MEMORY_WARMUP", 5_000), Math.max(1, Math.floor(DOCS / 2)));
const IDLE = envInt("RELAY_MEMORY_IDLE", 1_000);
// The anchor takes documents about ten times slower than ours on a loaded machine: a run can
// give it fewer (its warm-up shrinks with them).
const ANCHOR_DOCS = envInt("RELAY_MEMORY_ANCHOR_DOCS", DOCS);
const ANCHOR_WARMUP = Math.min(WARMUP, Math.max(1, Math.floor(ANCHOR_DOCS / 4)));
const BACKEND = process.env["RELAY_MEMORY_BACKEND"] ?? "postgres";
if (BACKEND !== "postgres" && BACKEND !== "pglite") throw new Error(`RELAY_MEMORY_BACKEND is postgres or pglite, got ${BACKEND}`);
/** Items per pushed batch (the relay takes 500 at most). */
const BATCH = 250;
/** Documents per anchor client Repo. */
const CHUNK = 250;
const PEOPLE = 10;
const FLAT_BAND = 0.1;
const IDLE_TARGET_BYTES = 30 * 1024;
const WAIT_MS = 30 * 60_000;
const MB = 2 ** 20;

/** Resident set of a process, from outside: the same reading for both servers. */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** A server process measured from outside; its inspector (--inspect) lets the bench force a full GC. */
interface Measured {
  pid: number;
  inspectorUrl: string;
}

/** Spawn arguments for a measured process: an inspector on a free port. */
const INSPECT = "--inspect=127.0.0.1:0";

/** Reads "Debugger listening on ws://..." from a child's stderr (passing its lines on). */
function inspectorUrl(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stderr! });
  return new Promise((resolve) => {
    lines.on("line", (line) => {
      const match = /Debugger listening on (ws:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
      else if (!/debugger|For help, see/i.test(line)) process.stderr.write(`${line}\n`);
    });
  });
}

/**
 * RSS after a full garbage collection (HeapProfiler.collectGarbage over the inspector): plain RSS
 * also counts garbage V8 has not collected yet, which comes and goes with its heuristics.
 */
async function rssAfterGc(server: Measured): Promise<number> {
  const socket = new WebSocket(server.inspectorUrl);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const done = new Promise<void>((resolve) => socket.on("message", (data: Buffer) => (JSON.parse(data.toString()) as { id?: number }).id === 1 && resolve()));
  socket.send(JSON.stringify({ id: 1, method: "HeapProfiler.collectGarbage" }));
  await withTimeout(done, 120_000, "a full GC");
  socket.close();
  return rssBytes(server.pid);
}

interface Tour {
  documents: number;
  warmupDocuments: number;
  rssMb: { start: number; afterWarmup: number; afterTour: number; peak: number };
  /** The same readings, each after a full GC. */
  rssAfterGcMb: { start: number; afterWarmup: number; afterTour: number };
  /** After the tour over after the warm-up, both after a full GC. */
  growthRatio: number;
  /** The same from plain RSS. */
  growthRatioPlainRss: number;
  flat: boolean;
  tourSeconds: number;
}

interface Idle {
  rssMbBefore: number;
  rssMbAfter: number;
  bytesPerDevice: number;
}

/** Runs `tourRange` over the warm-up, then the rest, reading RSS between (and after every step for the peak). */
async function tour(server: Measured, docs: number, warmup: number, tourRange: (from: number, to: number, step: () => void) => Promise<void>): Promise<Tour> {
  const { pid } = server;
  let peak = rssBytes(pid);
  const step = () => (peak = Math.max(peak, rssBytes(pid)));
  const start = rssBytes(pid);
  const startGc = await rssAfterGc(server);
  await tourRange(0, warmup, step);
  const afterWarmup = rssBytes(pid);
  const afterWarmupGc = await rssAfterGc(server);
  const began = performance.now();
  await tourRange(warmup, docs, step);
  const tourSeconds = (performance.now() - began) / 1000;
  const afterTour = rssBytes(pid);
  const afterTourGc = await rssAfterGc(server);
  const growthRatio = afterTourGc / afterWarmupGc;
  return {
    documents: docs,
    warmupDocuments: warmup,
    rssMb: { start: mb(start), afterWarmup: mb(afterWarmup), afterTour: mb(afterTour), peak: mb(Math.max(peak, afterTour)) },
    rssAfterGcMb: { start: mb(startGc), afterWarmup: mb(afterWarmupGc), afterTour: mb(afterTourGc) },
    growthRatio: round(growthRatio),
    growthRatioPlainRss: round(afterTour / afterWarmup),
    flat: Math.abs(growthRatio - 1) <= FLAT_BAND,
    tourSeconds: round(tourSeconds),
  };
}

async function idle(server: Measured, connectAll: () => Promise<void>): Promise<Idle> {
  const before = await rssAfterGc(server);
  await connectAll();
  const after = await rssAfterGc(server);
  return { rssMbBefore: mb(before), rssMbAfter: mb(after), bytesPerDevice: Math.round((after - before) / IDLE) };
}

/** Stops a child with SIGTERM and waits for it to exit. */
function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        resolve();
        return;
      }
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
}

// ---- ours ----

async function startOurRelay(cleanup: Cleanup): Promise<Measured & { syncUrl: string }> {
  const built = spawnSync(process.execPath, [join(root, "relay", "build.mjs")], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) throw new Error("relay/build.mjs failed");
  const env: Record<string, string> = { PORT: "0", HOST: "127.0.0.1" };
  if (BACKEND === "postgres") {
    const schema = await createBenchSchema();
    cleanup.add("schema", () => schema.drop());
    const url = new URL(databaseUrl);
    url.searchParams.set("options", `-c search_path=${schema.name}`);
    env["DATABASE_URL"] = url.toString();
  } else {
    env["IRONFLOW_DATA_DIR"] = tempFolders(cleanup).make("relay-memory-pglite");
  }
  const child = spawn(process.execPath, [INSPECT, "--enable-source-maps", "dist-relay/relay/main.js"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const inspector = inspectorUrl(child);
  cleanup.add("our relay", stopper(child));
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the relay exited (${code}) before it was ready`)));
    lines.on("line", (line) => {
      if (!line.includes('"relay_ready"')) return;
      resolve((JSON.parse(line) as { sync_url: string }).sync_url);
    });
  });
  const syncUrl = await withTimeout(ready, 120_000, "our relay starting");
  // Drain its log lines so a full pipe never blocks the relay.
  lines.on("line", () => undefined);
  return { pid: child.pid!, inspectorUrl: await inspector, syncUrl };
}

async function helloSocket(syncUrl: string, accessToken: string): Promise<RawRelaySocket> {
  const socket = await RawRelaySocket.connect(syncUrl);
  const reply = await socket.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken } });
  if (reply.body.case !== "welcome") throw new Error(`hello answered with ${reply.body.case}: ${JSON.stringify(reply.body.value)}`);
  return socket;
}

async function runOurs(cleanup: Cleanup): Promise<{ tour: Tour; idle: Idle }> {
  const server = await startOurRelay(cleanup);
  const { syncUrl } = server;
  const api = new AuthApi(httpOrigin(syncUrl));
  const sessions: { accessToken: string; refreshToken: string }[] = [];
  for (let p = 0; p < PEOPLE; p++) {
    sessions.push(await api.signUp({ ...benchAccount(`relay-memory-${p}-${randomUUID()}`), deviceName: `pusher-${p}`, deviceId: randomUUID() }));
  }
  const pushers = await Promise.all(sessions.map((session) => helloSocket(syncUrl, session.accessToken)));
  cleanup.add("pushers", () => closeAll(pushers));
  /** A tour outlives an access token (15 min): the pusher refreshes and says hello again, as a device does. */
  const renew = async (lane: number): Promise<RawRelaySocket> => {
    const session = await api.refresh(sessions[lane]!.refreshToken);
    sessions[lane] = session;
    pushers[lane]!.close();
    pushers[lane] = await helloSocket(syncUrl, session.accessToken);
    return pushers[lane];
  };

  /** Pushes documents [from, to) as batches spread over the people, one lane per person. */
  const pushRange = async (from: number, to: number, step: () => void) => {
    const batches: number[] = [];
    for (let b = from; b < to; b += BATCH) batches.push(b);
    await Promise.all(
      pushers.map(async (_, lane) => {
        for (let i = lane; i < batches.length; i += PEOPLE) {
          const first = batches[i]!;
          const items = [];
          for (let d = first; d < Math.min(first + BATCH, to); d++) {
            const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
            const doc = entityDoc("workout", id, benchWorkout(d));
            items.push({ entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0 });
            A.free(doc);
          }
          let reply = await withTimeout(pushers[lane]!.request({ case: "sync", value: { items } }), WAIT_MS, `batch at document ${first}`);
          if (reply.body.case === "error" && reply.body.value.code === Code.UNAUTHENTICATED) {
            reply = await withTimeout((await renew(lane)).request({ case: "sync", value: { items } }), WAIT_MS, `batch at document ${first}`);
          }
          if (reply.body.case !== "sync") throw new Error(`a batch answered ${reply.body.case}: ${JSON.stringify(reply.body.value)}`);
          const failed = reply.body.value.results.find((r) => r.status !== SyncStatus.SUCCESS);
          if (failed) throw new Error(`a push was refused: ${failed.code} ${failed.errorMessage}`);
          step();
        }
      }),
    );
  };
  const toured = await tour(server, DOCS, WARMUP, pushRange);

  const idleSockets: RawRelaySocket[] = [];
  cleanup.add("idle devices", () => closeAll(idleSockets));
  // Fresh tokens: the tour may have outlived the ones it started with.
  for (let p = 0; p < PEOPLE; p++) sessions[p] = await api.refresh(sessions[p]!.refreshToken);
  const idled = await idle(server, async () => {
    for (let i = 0; i < IDLE; i++) idleSockets.push(await helloSocket(syncUrl, sessions[i % PEOPLE]!.accessToken));
  });
  return { tour: toured, idle: idled };
}

// ---- the anchor ----

type AnchorMessage = { type: "ready"; url: string } | { type: "received"; count: number };

async function startAnchor(cleanup: Cleanup): Promise<{ child: ChildProcess; server: Measured; url: string; received(count: number): Promise<void> }> {
  // Bundled like our relay (plain JavaScript, packages from node_modules): no loader in the process measured.
  const outfile = join(root, "dist-relay", "bench", "automerge-repo-server-process.mjs");
  await build({ entryPoints: [join(here, "anchors", "automerge-repo-server-process.ts")], outfile, bundle: true, platform: "node", format: "esm", target: "node20", packages: "external", logLevel: "warning" });
  // esbuild's service process would otherwise keep this one alive after the run (seen once).
  await stopEsbuild();
  const storage = tempFolders(cleanup, 300).make("relay-memory-anchor");
  const child = spawn(process.execPath, [INSPECT, outfile, storage], { cwd: root, stdio: ["ignore", "inherit", "pipe", "ipc"] });
  const inspector = inspectorUrl(child);
  cleanup.add("anchor", stopper(child));
  const waiters: { resolve: (m: AnchorMessage) => void; reject: (err: Error) => void }[] = [];
  child.on("message", (m: AnchorMessage) => waiters.shift()?.resolve(m));
  child.once("exit", (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`the anchor exited (${code})`));
  });
  const next = () => new Promise<AnchorMessage>((resolve, reject) => waiters.push({ resolve, reject }));
  const ready = await withTimeout(next(), 120_000, "the anchor starting");
  if (ready.type !== "ready") throw new Error("the anchor did not say ready");
  return {
    child,
    server: { pid: child.pid!, inspectorUrl: await inspector },
    url: ready.url,
    async received(count) {
      const answer = next();
      child.send({ type: "await", count });
      await withTimeout(answer, WAIT_MS, `the anchor receiving ${count} documents`);
    },
  };
}

async function runAnchor(cleanup: Cleanup): Promise<{ tour: Tour; idle: Idle }> {
  const anchor = await startAnchor(cleanup);
  const device = randomUUID();
  const createRange = async (from: number, to: number, step: () => void) => {
    for (let first = from; first < to; first += CHUNK) {
      const client = new Repo({ network: [new WebSocketClientAdapter(anchor.url)], peerId: `tour-${first}` as PeerId });
      await withTimeout(client.networkSubsystem.whenReady(), 60_000, "anchor client connecting");
      for (let d = first; d < Math.min(first + CHUNK, to); d++) {
        client.create(workoutDocument(d, parseAutomergeUrl(generateAutomergeUrl()).documentId, device, "tour", Date.now()));
      }
      await anchor.received(Math.min(first + CHUNK, to));
      await client.shutdown();
      step();
    }
  };
  const toured = await tour(anchor.server, ANCHOR_DOCS, ANCHOR_WARMUP, createRange);

  const idleSockets: WebSocket[] = [];
  cleanup.add("anchor idle peers", () => closeAll(idleSockets.map((s) => ({ close: () => s.terminate() }))));
  const idled = await idle(anchor.server, async () => {
    for (let i = 0; i < IDLE; i++) {
      const socket = new WebSocket(anchor.url);
      idleSockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        // The server answers a join with its "peer" message: the peer is known to its Repo.
        socket.once("message", () => resolve());
        socket.once("open", () => socket.send(cbor.encode({ type: "join", senderId: `idle-${i}`, peerMetadata: {}, supportedProtocolVersions: ["1"] })));
      });
    }
  });
  return { tour: toured, idle: idled };
}

// ---- the run ----

function closeAll(sockets: readonly { close(): void }[]): Promise<void> {
  for (const socket of sockets) socket.close();
  return Promise.resolve();
}

function mb(bytes: number): number {
  return Math.round((bytes / MB) * 10) / 10;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const cleanup = new Cleanup();
const started = performance.now();
const loadAtStart = loadavg()[0]!;
let ours: { tour: Tour; idle: Idle };
let anchor: { tour: Tour; idle: Idle };
try {
  process.stdout.write(`relay memory: ${DOCS} documents (warm-up ${WARMUP}; anchor ${ANCHOR_DOCS}, warm-up ${ANCHOR_WARMUP}), ${IDLE} idle devices, ${BACKEND}\n`);
  ours = await runOurs(cleanup);
  process.stdout.write(`ours done: ${JSON.stringify(ours)}\n`);
  anchor = await runAnchor(cleanup);
  process.stdout.write(`anchor done: ${JSON.stringify(anchor)}\n`);
} finally {
  for (const failure of await cleanup.run()) process.stderr.write(`cleanup: ${failure}\n`);
}

const row = (name: string, r: { tour: Tour; idle: Idle }): string[] => [
  name,
  `${r.tour.documents} (${r.tour.warmupDocuments})`,
  `${r.tour.rssMb.start} / ${r.tour.rssAfterGcMb.start}`,
  `${r.tour.rssMb.afterWarmup} / ${r.tour.rssAfterGcMb.afterWarmup}`,
  `${r.tour.rssMb.afterTour} / ${r.tour.rssAfterGcMb.afterTour}`,
  String(r.tour.rssMb.peak),
  `${fmtRatio(r.tour.growthRatio)}${r.tour.flat ? " (flat)" : " (NOT flat)"}; plain ${fmtRatio(r.tour.growthRatioPlainRss)}`,
  `${(r.idle.bytesPerDevice / 1024).toFixed(1)} KB`,
];
process.stdout.write(
  `\n${table(
    ["server", "documents (warm-up)", "RSS MB start (plain / after GC)", "after warm-up", "after tour", "peak", "growth after GC (tour / warm-up)", `per idle device (${IDLE})`],
    [row(`ironflow relay (${BACKEND})`, ours), row("automerge-repo sync server (anchor)", anchor)],
  )}\n`,
);
const out = join(here, "results", "relay-memory.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      machine: { nproc: availableParallelism(), loadAverage1mAtStart: loadAtStart, loadAverage1mAtEnd: loadavg()[0], node: process.version },
      durationS: Math.round((performance.now() - started) / 1000),
      backend: BACKEND,
      batchItems: BATCH,
      people: PEOPLE,
      idleDevices: IDLE,
      flatBand: FLAT_BAND,
      idleTargetBytesPerDevice: IDLE_TARGET_BYTES,
      tour: { ironflow: ours.tour, automergeRepo: anchor.tour },
      idle: {
        ironflow: { ...ours.idle, withinTarget: ours.idle.bytesPerDevice <= IDLE_TARGET_BYTES },
        automergeRepo: anchor.idle,
        ratioOursToAnchor: round(ours.idle.bytesPerDevice / anchor.idle.bytesPerDevice),
      },
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`written to ${out}\n`);
