// Device cold start with 10,000 workouts: a device's storage holds N synced workouts; the client
// is opened on it and asked for its workout list, timed until the list holds all N. The anchor,
// in the same run and the same storage: one raw read (loadRange) of N records of 1 KB each,
// stored there beside the device's data. Target (issue 17): list shown <= 3x the raw read.
//
// Storages: "file" (a Node device: openNodeClient on a data folder, EncryptedStorage over
// FileStorage) and "fake-indexeddb" (the browser's IndexedDbStorage under fake-indexeddb in
// Node, encrypted like a browser in a secure context). Each round runs the anchor and the cold
// start alternately on the same storage; the median of the rounds is reported, after one warm-up
// round that is not (both sides then run with warm code and the OS page cache warm).
//
// The stored state is built through the device's own code: every workout is taken in through
// EntityStore.adopt, the path a device takes for a workout pulled from the relay (a document
// another device created, its snapshot and its entity record, synced at version 1), and the
// session is the one a sign-in stores. No relay is needed: opening a device does not connect.
//
// Measures only, never passes or fails on time. `npm run bench:cold-start`; prints a table and
// writes bench/results/cold-start.json. Knobs: COLD_START_WORKOUTS (10000), COLD_START_ROUNDS
// (3), COLD_START_STORAGES (file,fake-indexeddb), COLD_START_CPU_PROF=<dir> (a CPU profile of the
// last cold start of each storage), COLD_START_DIR=<dir> (the file device's folder, kept: seeded on the first
// run, reused by the next ones with the same COLD_START_WORKOUTS, e.g. to compare two branches on
// one stored state).
import "fake-indexeddb/auto";
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl, type StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { AuthApi, EncryptedStorage, IndexedDbStorage, IronFlowClient, newStorageKey, validateDocument, webSocketTransport, type AuthSession } from "../client/core/index.js";
import { EntityStore } from "../client/core/entities/entity-store.js";
import type { EntityRecord } from "../client/core/entities/entity-record.js";
import { HybridLogicalClock } from "../client/core/clock/hlc.js";
import { DocumentStore } from "../client/core/storage/document-store.js";
import { RecordStore } from "../client/core/storage/record-store.js";
import { FileStorage } from "../client/node/file-storage.js";
import { openNodeClient } from "../client/node/open-node-client.js";
import { storageKeyFromFile } from "../client/node/storage-key.js";
import { workout } from "../test/support/devices.js";
import { Cleanup, withTimeout } from "./support/bounded.js";
import { cpuClock } from "./support/cpu.js";
import { profileWindow } from "./support/cpu-profile.js";
import { tempFolders } from "./support/temp.js";
import { table } from "./report.js";
import { envInt } from "./support/env.js";

const here = dirname(fileURLToPath(import.meta.url));
const TARGET_RATIO = 3;
const RECORD_BYTES = 1024;
/** Where the anchor's raw records live in the device's storage (no record kind or document id starts so). */
const RAW_PREFIX = ["_bench", "raw"];
/** Workouts taken in at once while seeding (storage writes overlap; memory stays small). */
const SEED_PARALLEL = 32;
const UNUSED_RELAY = "ws://127.0.0.1:9/sync";

type StorageName = "file" | "fake-indexeddb";


function storagesFromEnv(): StorageName[] {
  const names = (process.env.COLD_START_STORAGES ?? "file,fake-indexeddb").split(",").map((s) => s.trim()).filter(Boolean);
  for (const name of names) if (name !== "file" && name !== "fake-indexeddb") throw new Error(`COLD_START_STORAGES: unknown storage ${name}`);
  return names as StorageName[];
}

/** One side of a round: wall and CPU time of this process, ms. */
interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed(work: () => Promise<void>): Promise<Timing> {
  const cpu = cpuClock();
  const start = performance.now();
  await work();
  return { wallMs: performance.now() - start, cpuMs: cpu() };
}

/** How a storage is opened for seeding, for the anchor, and for the device's cold start. */
interface Subject {
  /** The device's storage, as the device opens it (encrypted). */
  storage: StorageAdapterInterface;
  /** The same storage without the encryption: what the anchor reads raw. */
  plain: StorageAdapterInterface;
  open(): Promise<IronFlowClient>;
}

const session = (userId: string, deviceId: string): AuthSession => ({ userId, deviceId, accessToken: "bench", refreshToken: "bench", expiresIn: 3600 });

async function fileSubject(dataDir: string, fresh: boolean): Promise<Subject> {
  // openNodeClient's own layout: store/ encrypted with the key file beside it.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const plain = new FileStorage(join(dataDir, "store"));
  const storage = new EncryptedStorage(plain, await storageKeyFromFile(join(dataDir, "storage.key")));
  const open = () => openNodeClient({ dataDir, relayUrl: UNUSED_RELAY, deviceName: "cold-start" });
  if (!fresh) return { storage, plain, open };
  const userId = randomBytes(8).toString("hex");
  // A signed-in device: the first open stores the session a sign-in gives (openNodeClient with
  // an account does the same after asking the relay).
  const first = await IronFlowClient.open({
    storage,
    auth: { api: new AuthApi("http://127.0.0.1:9"), session: session(userId, await IronFlowClient.deviceIdOf(storage)) },
    transport: webSocketTransport(UNUSED_RELAY, () => {
      throw new Error("the cold-start bench never connects");
    }),
    deviceName: "cold-start",
  });
  await first.close();
  return { storage, plain, open };
}

async function indexedDbSubject(): Promise<Subject> {
  const name = `ironflow-device-${randomBytes(8).toString("hex")}`;
  const plain = new IndexedDbStorage(name);
  const key = await newStorageKey();
  const storage = new EncryptedStorage(plain, key);
  const userId = randomBytes(8).toString("hex");
  const opened = (given?: AuthSession) =>
    IronFlowClient.open({
      storage: new EncryptedStorage(new IndexedDbStorage(name), key),
      auth: { api: new AuthApi("http://127.0.0.1:9"), ...(given ? { session: given } : {}) },
      transport: webSocketTransport(UNUSED_RELAY, () => {
        throw new Error("the cold-start bench never connects");
      }),
      deviceName: "cold-start",
    });
  const first = await opened(session(userId, await IronFlowClient.deviceIdOf(storage)));
  await first.close();
  return { storage, plain, open: () => opened() };
}

/**
 * The bytes the relay hands a device for workout i, created on another device: the document
 * EntityStore.create makes (validated root, one A.from), saved whole.
 */
function otherDevicesWorkout(i: number, other: { id: string; name: string }, clock: HybridLogicalClock, at: number): { id: string; bytes: Uint8Array } {
  const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
  const payload = workout(`Workout ${i}`, [
    { name: "Back Squat", sets: [[5, 100], [5, 105], [5, 110]] },
    { name: "Bench Press", sets: [[8, 70], [8, 72.5], [6, 75]] },
    { name: "Barbell Row", sets: [[10, 60], [10, 60], [10, 62.5]] },
  ]);
  const root = {
    type: "workout" as const,
    id,
    createdAt: at,
    createdBy: other,
    updatedAt: at,
    deviceId: other.id,
    deviceName: other.name,
    hlc: clock.tick(),
    baseVersion: 0,
    deleted: null,
    payload: { ...payload, startedAt: at - i * 86_400_000, completedAt: at - i * 86_400_000 + 3_600_000 },
  };
  const checked = validateDocument("workout", root);
  if (!checked.ok) throw new Error(`bench workout ${i} does not validate: ${checked.message}`);
  const doc = A.from<Record<string, unknown>>(checked.value);
  const bytes = A.save(doc);
  A.free(doc);
  return { id, bytes };
}

/** N synced workouts, taken in as the device takes in what it pulls; and N raw 1 KB records for the anchor. */
async function seed(subject: Subject, workouts: number): Promise<{ documentBytes: number }> {
  const other = { id: "other-device", name: "the other phone" };
  const at = Date.UTC(2026, 10, 30, 18, 0);
  const clock = new HybridLogicalClock(other.id, () => at);
  const entities = new EntityStore(
    new DocumentStore(subject.storage),
    new RecordStore<EntityRecord>(subject.storage, "entity"),
    new HybridLogicalClock("cold-start", () => at),
    { id: "cold-start", name: "cold-start" },
    () => at,
  );
  let documentBytes = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < workouts; i = next++) {
      const { id, bytes } = otherDevicesWorkout(i, other, clock, at);
      documentBytes += bytes.length;
      await entities.adopt("workout", id, bytes, { serverVersion: 1, serverTime: at });
      entities.release(id);
    }
  };
  await Promise.all(Array.from({ length: SEED_PARALLEL }, worker));
  let raw = 0;
  const rawWorker = async () => {
    for (let i = raw++; i < workouts; i = raw++) await subject.plain.save([...RAW_PREFIX, String(i).padStart(6, "0")], randomBytes(RECORD_BYTES));
  };
  await Promise.all(Array.from({ length: SEED_PARALLEL }, rawWorker));
  return { documentBytes };
}

interface Round {
  rawRead: Timing;
  coldStart: Timing;
  /** Of the cold start: opening the client, and its list() call after. */
  openMs: number;
  listMs: number;
}

async function round(name: StorageName, subject: Subject, workouts: number, profileTo: string | null): Promise<Round> {
  const rawRead = await timed(async () => {
    const chunks = await subject.plain.loadRange(RAW_PREFIX);
    if (chunks.length !== workouts) throw new Error(`raw read: ${chunks.length} of ${workouts} records`);
  });
  let openMs = 0;
  let listMs = 0;
  let client: IronFlowClient | undefined;
  const profile = profileTo ? await profileWindow(profileTo, `cold-start-${name}`) : undefined;
  const coldStart = await timed(async () => {
    const start = performance.now();
    client = await subject.open();
    openMs = performance.now() - start;
    const listed = client.list("workout");
    listMs = performance.now() - start - openMs;
    if (listed.length !== workouts) throw new Error(`cold start: the list shows ${listed.length} of ${workouts} workouts`);
  });
  if (profile) console.log(`CPU profile: ${await profile.stop()}`);
  await client?.close();
  return { rawRead, coldStart, openMs, listMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const workouts = envInt("COLD_START_WORKOUTS", 10_000);
  const rounds = envInt("COLD_START_ROUNDS", 3);
  const storages = storagesFromEnv();
  const profileDir = process.env.COLD_START_CPU_PROF || null;
  const cleanup = new Cleanup();
  const temp = tempFolders(cleanup);
  const load = { start: loadavg()[0]!, end: 0 };
  const sections: Record<string, unknown> = {};
  const rows: string[][] = [];
  try {
    for (const name of storages) {
      const keptDir = name === "file" ? process.env.COLD_START_DIR || null : null;
      const marker = keptDir && join(keptDir, "seeded.json");
      const reused = marker && existsSync(marker) ? (JSON.parse(readFileSync(marker, "utf8")) as { workouts: number; documentBytes: number }) : undefined;
      if (reused && reused.workouts !== workouts) throw new Error(`COLD_START_DIR holds ${reused.workouts} workouts, not ${workouts}`);
      const subject = name === "file" ? await fileSubject(keptDir ? join(keptDir, "device") : join(temp.make("cold-start"), "device"), !reused) : await indexedDbSubject();
      const seedStart = performance.now();
      const { documentBytes } = reused ?? (await withTimeout(seed(subject, workouts), 3_600_000, `seeding ${workouts} workouts (${name})`));
      const seedMs = performance.now() - seedStart;
      if (marker && !reused) writeFileSync(marker, JSON.stringify({ workouts, documentBytes }));
      console.log(`${name}: ${reused ? "reused" : "seeded"} ${workouts} workouts in ${(seedMs / 1000).toFixed(1)} s`);
      const measured: Round[] = [];
      for (let r = 0; r <= rounds; r++) {
        const last = r === rounds;
        const profileTo = last && profileDir ? profileDir : null;
        const result = await withTimeout(round(name, subject, workouts, profileTo), 600_000, `a cold-start round (${name})`);
        // Round 0 warms the code and the page cache on both sides; it is not reported.
        if (r > 0) measured.push(result);
        console.log(`${name} round ${r}${r === 0 ? " (warm-up)" : ""}: raw read ${result.rawRead.wallMs.toFixed(0)} ms, cold start ${result.coldStart.wallMs.toFixed(0)} ms (open ${result.openMs.toFixed(0)}, list ${result.listMs.toFixed(0)})`);
      }
      const pick = (f: (r: Round) => number) => Math.round(median(measured.map(f)) * 10) / 10;
      const section = {
        workouts,
        recordBytes: RECORD_BYTES,
        meanDocumentBytes: Math.round(documentBytes / workouts),
        seedMs: Math.round(seedMs),
        rounds: measured.length,
        rawReadMs: pick((r) => r.rawRead.wallMs),
        rawReadCpuMs: pick((r) => r.rawRead.cpuMs),
        coldStartMs: pick((r) => r.coldStart.wallMs),
        coldStartCpuMs: pick((r) => r.coldStart.cpuMs),
        openMs: pick((r) => r.openMs),
        listMs: pick((r) => r.listMs),
        ratioWall: Math.round(median(measured.map((r) => r.coldStart.wallMs / r.rawRead.wallMs)) * 100) / 100,
        ratioCpu: Math.round(median(measured.map((r) => r.coldStart.cpuMs / r.rawRead.cpuMs)) * 100) / 100,
        targetRatio: TARGET_RATIO,
        perRound: measured,
      };
      sections[name] = section;
      rows.push([name, `${section.coldStartMs} ms (${section.coldStartCpuMs} CPU)`, `${section.rawReadMs} ms (${section.rawReadCpuMs} CPU)`, `${section.ratioWall}× (${section.ratioCpu}× CPU)`, `≤ ${TARGET_RATIO}×`]);
    }
  } finally {
    load.end = loadavg()[0]!;
    await cleanup.run();
  }
  console.log(`\ndevice cold start with ${workouts} workouts, list shown vs one raw read of ${workouts} × 1 KB records (load ${load.start.toFixed(1)} → ${load.end.toFixed(1)})`);
  console.log(table(["storage", "cold start (list shown)", "raw read (anchor)", "ratio", "target"], rows));
  const results = {
    at: new Date().toISOString(),
    machine: { cores: availableParallelism(), loadAvg: load, node: process.version },
    ...sections,
  };
  const out = join(here, "results", "cold-start.json");
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written ${out}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
