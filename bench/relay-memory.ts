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
// RELAY_MEMORY_IDLE (1000), RELAY_MEMORY_BACKEND (postgres | pglite), DATABASE_URL,
// RELAY_MEMORY_CHECKPOINTS (document counts inside our tour where a reading after GC is taken
// too, with the relay's process.memoryUsage() split; default a quarter, half and three quarters),
// RELAY_MEMORY_SNAPSHOTS (document counts where our relay's V8 heap is also written to
// RELAY_MEMORY_SNAPSHOT_DIR, default the system's temp folder; the first and last are compared
// by constructor, bench/support/heap-snapshot.ts).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
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
import { grownGroups, readHeapSnapshot } from "./support/heap-snapshot.js";
import { createBenchSchema, databaseUrl } from "./support/postgres.js";
import { collectGarbage, memoryUsage, writeHeapSnapshot } from "./support/remote-inspector.js";
import { tempFolders } from "./support/temp.js";
import { benchWorkout, workoutDocument } from "./workload.js";
import { envInt } from "./support/env.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");


const DOCS = envInt("RELAY_MEMORY_DOCS", 100_000);
const WARMUP = Math.min(envInt("RELAY_MEMORY_WARMUP", 5_000), Math.max(1, Math.floor(DOCS / 2)));
const IDLE = envInt("RELAY_MEMORY_IDLE", 1_000);
// The anchor takes documents about ten times slower than ours on a loaded machine: a run can
// give it fewer (its warm-up shrinks with them).
const ANCHOR_DOCS = envInt("RELAY_MEMORY_ANCHOR_DOCS", DOCS);
const ANCHOR_WARMUP = Math.min(WARMUP, Math.max(1, Math.floor(ANCHOR_DOCS / 4)));
/** Document counts, comma-separated, each a positive integer. */
function envCounts(name: string, fallback: readonly number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined) return [...fallback];
  return raw
    .split(",")
    .filter((part) => part.trim() !== "")
    .map((part) => {
      const value = Number(part);
      if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} holds document counts, got ${raw}`);
      return value;
    });
}
const CHECKPOINTS = envCounts("RELAY_MEMORY_CHECKPOINTS", [DOCS / 4, DOCS / 2, (3 * DOCS) / 4].map(Math.round));
const SNAPSHOTS = envCounts("RELAY_MEMORY_SNAPSHOTS", []);
const SNAPSHOT_DIR = process.env["RELAY_MEMORY_SNAPSHOT_DIR"] ?? tmpdir();
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

/**
 * Bytes of WebAssembly memory a process holds (Automerge's; PGlite's too with that backend), from
 * /proc/PID/smaps: V8 reserves a 32-bit WebAssembly memory with guard pages, so it is a
 * read-write mapping directly followed by an inaccessible one of more than 4 GiB. The mapping's
 * size is the memory's length, which never shrinks.
 */
function wasmBytes(pid: number): number {
  const GUARD = 4 * 2 ** 30;
  const maps: { start: bigint; end: bigint; writable: boolean }[] = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
    const match = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/.exec(line);
    if (match) maps.push({ start: BigInt(`0x${match[1]}`), end: BigInt(`0x${match[2]}`), writable: match[3]!.startsWith("rw") });
  }
  let total = 0;
  for (const [i, map] of maps.entries()) {
    const next = maps[i + 1];
    if (map.writable && next && !next.writable && next.start === map.end && next.end - next.start > BigInt(GUARD)) total += Number(map.end - map.start);
  }
  return total;
}

/**
 * Resident bytes of malloc's arenas, from /proc/PID/smaps: the main one (the [heap] mapping) and
 * the threads' (each a 64 MiB-aligned reservation of 64 MiB whose used part is read-write).
 */
function mallocArenas(pid: number): { main: number; threads: number } {
  const ARENA = 64n * 2n ** 20n;
  const maps: { start: bigint; end: bigint; writable: boolean; name: string; rss: number }[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) maps.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), writable: head[3]!.startsWith("rw"), name: head[4]!, rss: 0 });
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && maps.length > 0) maps[maps.length - 1]!.rss = Number(rss[1]) * 1024;
  }
  let main = 0;
  let threads = 0;
  for (const [i, map] of maps.entries()) {
    if (map.name === "[heap]") main += map.rss;
    if (!map.writable || map.name !== "" || map.start % ARENA !== 0n) continue;
    const next = maps[i + 1];
    const reservedRest = next !== undefined && !next.writable && next.name === "" && next.start === map.end && next.end === map.start + ARENA;
    if (reservedRest || map.end === map.start + ARENA) threads += map.rss;
  }
  return { main, threads };
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

/** RSS after a full garbage collection (remote-inspector.ts): plain RSS also counts garbage V8 has not collected yet. */
async function rssAfterGc(server: Measured): Promise<number> {
  await collectGarbage(server.inspectorUrl);
  return rssBytes(server.pid);
}

/** A reading after a full GC: RSS from outside and the process's own split (process.memoryUsage over the inspector). */
interface Checkpoint {
  documents: number;
  rssAfterGcMb: number;
  /** process.memoryUsage() of the server; `external` includes its WebAssembly memory. */
  memoryUsageMb: { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };
  /** Length of its WebAssembly memory (wasmBytes). */
  wasmMb: number;
  /**
   * Resident bytes outside V8's heap and external memory (rss - heapTotal - external): the
   * binary's code and data, thread stacks, and what C++ allocated with malloc; `mallocMb`, the
   * resident part of malloc's arenas (mallocArenas).
   */
  restMb: number;
  mallocMb: { main: number; threads: number };
  /** The heap snapshot written here (RELAY_MEMORY_SNAPSHOTS), if any. */
  heapSnapshot?: string;
}

async function checkpoint(server: Measured, documents: number, snapshotDir: string | undefined): Promise<Checkpoint> {
  const rss = await rssAfterGc(server);
  const usage = await memoryUsage(server.inspectorUrl);
  const reading: Checkpoint = {
    documents,
    rssAfterGcMb: mb(rss),
    memoryUsageMb: { rss: mb(usage.rss), heapUsed: mb(usage.heapUsed), heapTotal: mb(usage.heapTotal), external: mb(usage.external), arrayBuffers: mb(usage.arrayBuffers) },
    wasmMb: mb(wasmBytes(server.pid)),
    restMb: mb(usage.rss - usage.heapTotal - usage.external),
    mallocMb: (({ main, threads }) => ({ main: mb(main), threads: mb(threads) }))(mallocArenas(server.pid)),
  };
  if (snapshotDir) {
    reading.heapSnapshot = join(snapshotDir, `relay-${server.pid}-${documents}.heapsnapshot`);
    await writeHeapSnapshot(server.inspectorUrl, reading.heapSnapshot);
  }
  process.stdout.write(`checkpoint ${JSON.stringify(reading)}\n`);
  return reading;
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
  /** After GC: start, after the warm-up, each of CHECKPOINTS inside the tour, after the tour. */
  checkpoints: Checkpoint[];
}

interface Idle {
  rssMbBefore: number;
  rssMbAfter: number;
  bytesPerDevice: number;
}

/**
 * Runs `tourRange` over the warm-up, then the rest, reading RSS between (and after every step for
 * the peak); `inside` are document counts within the tour where a checkpoint is read too, with a
 * heap snapshot at those in `snapshots`.
 */
async function tour(
  server: Measured,
  docs: number,
  warmup: number,
  tourRange: (from: number, to: number, step: () => void) => Promise<void>,
  inside: readonly number[] = [],
  snapshots: readonly number[] = [],
): Promise<Tour> {
  const { pid } = server;
  let peak = rssBytes(pid);
  const step = () => (peak = Math.max(peak, rssBytes(pid)));
  const at = (documents: number) => checkpoint(server, documents, snapshots.includes(documents) ? SNAPSHOT_DIR : undefined);
  const start = rssBytes(pid);
  const checkpoints = [await at(0)];
  await tourRange(0, warmup, step);
  const afterWarmup = rssBytes(pid);
  checkpoints.push(await at(warmup));
  const began = performance.now();
  let done = warmup;
  for (const stop of [...inside.filter((d) => d > warmup && d < docs), docs]) {
    await tourRange(done, stop, step);
    done = stop;
    if (stop < docs) checkpoints.push(await at(stop));
  }
  const tourSeconds = (performance.now() - began) / 1000;
  const afterTour = rssBytes(pid);
  checkpoints.push(await at(docs));
  const startGc = checkpoints[0]!.rssAfterGcMb;
  const afterWarmupGc = checkpoints[1]!.rssAfterGcMb;
  const afterTourGc = checkpoints[checkpoints.length - 1]!.rssAfterGcMb;
  const growthRatio = afterTourGc / afterWarmupGc;
  return {
    documents: docs,
    warmupDocuments: warmup,
    rssMb: { start: mb(start), afterWarmup: mb(afterWarmup), afterTour: mb(afterTour), peak: mb(Math.max(peak, afterTour)) },
    rssAfterGcMb: { start: startGc, afterWarmup: afterWarmupGc, afterTour: afterTourGc },
    growthRatio: round(growthRatio),
    growthRatioPlainRss: round(afterTour / afterWarmup),
    flat: Math.abs(growthRatio - 1) <= FLAT_BAND,
    tourSeconds: round(tourSeconds),
    checkpoints,
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
          // A loaded machine's Postgres can keep a connection waiting past the pool's timeout: the
          // whole batch is answered UNAVAILABLE with nothing stored, and pushed again as a device does.
          for (let retry = 0; retry < 10 && reply.body.case === "error" && reply.body.value.code === Code.UNAVAILABLE; retry++) {
            await new Promise((resolve) => setTimeout(resolve, reply.body.case === "error" ? reply.body.value.retryAfterMs || 1000 : 1000));
            reply = await withTimeout(pushers[lane]!.request({ case: "sync", value: { items } }), WAIT_MS, `batch at document ${first}`);
          }
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
  const toured = await tour(server, DOCS, WARMUP, pushRange, [...new Set([...CHECKPOINTS, ...SNAPSHOTS])].sort((a, b) => a - b), SNAPSHOTS);

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
// The first and last heap snapshots of our relay, compared by constructor: what the tour left behind.
const snapshotted = ours.tour.checkpoints.flatMap((c) => (c.heapSnapshot ? [c] : []));
let heapGrowth: { from: number; to: number; selfMbDelta: number; grown: ReturnType<typeof grownGroups> } | undefined;
if (snapshotted.length >= 2) {
  const first = snapshotted[0]!;
  const last = snapshotted[snapshotted.length - 1]!;
  const before = readHeapSnapshot(first.heapSnapshot!);
  const after = readHeapSnapshot(last.heapSnapshot!);
  heapGrowth = { from: first.documents, to: last.documents, selfMbDelta: mb(after.totalBytes - before.totalBytes), grown: grownGroups(before, after, 15) };
  process.stdout.write(`\nour relay's heap from ${first.documents} to ${last.documents} documents: ${heapGrowth.selfMbDelta} MB of objects more\n`);
  for (const g of heapGrowth.grown) process.stdout.write(`  ${String(g.bytesDelta).padStart(11)} B ${String(g.countDelta).padStart(8)} objects  ${g.group}\n`);
  for (const g of heapGrowth.grown.slice(0, 4)) {
    process.stdout.write(`  held in ${g.group}: ${after.retainersOf(g.group, 4).map(([holder, n]) => `${n} by ${holder}`).join("; ")}\n`);
  }
}
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
      ...(heapGrowth ? { heapGrowth } : {}),
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`written to ${out}\n`);
