// `npm run bench:growth`: does the cost of a pushed item stay flat as a person's data grows
// (issue 17: "cost per item flat from 100 to 10,000 entities and from 10 to 1,000 changes of
// history")? There is no outside anchor: each level is measured beside the smallest level, in the
// same run and the same rounds, and the figure is their ratio.
//
// The real relay in a process of its own (support/relay-process.ts: relay/main.ts's wiring, no
// cross-relay fan-out) on the machine's Postgres (a fresh schema, dropped after), and protocol
// devices (support/protocol-device.ts: the device's RelaySession over a real WebSocket, signed in
// through /auth). Relay CPU is the relay process's user + system time from /proc over the timed
// window (its work, apart from the wait for a core); wall is the devices' view.
//
// - Entities: one person per level (ENTITIES, default 100, 1,000, 10,000), each filled with that
//   many workouts (creates in batches of 250, untimed). Then ROUNDS rounds, each over every
//   level (the order reversed every other round, so drift in the machine's load falls on all
//   levels alike): ITEMS new workouts pushed as creates in batches of BATCH, then ITEMS updates
//   (one added set each) of workouts picked at random from the person's, in batches of BATCH,
//   one batch in flight. Per level: relay CPU and wall per item, the median of the rounds.
//   The measured creates stay: a level's person holds N + (round x ITEMS) before a round.
// - History: one person, devices A and B. Each round, for each level H (HISTORY, default 10,
//   100, 1,000), A pushes a new workout whose history is H changes (made on the device before
//   its first sync: one `from`, then H - 1 edits of a set's weight), untimed; then EDITS edits of
//   it (one change each, the same kind), each pushed alone, then pulled by B from its cursor (the
//   catch-up of a second device: the relay answers with the stored entity). Per level: relay CPU
//   and wall per push and per pull. EDITS defaults to 32, the chunks a stored row holds before an
//   update compacts it (relay/stored-form.ts), so every round pays for one compaction.
//
// A warm-up (a person of its own, the smallest levels, unrecorded) runs first. It measures; it
// never passes or fails on time. Writes bench/results/growth.json.
// Knobs (comma lists or integers): GROWTH_ENTITIES (100,1000,10000), GROWTH_HISTORY
// (10,100,1000), GROWTH_ROUNDS (3), GROWTH_ITEMS (50), GROWTH_BATCH (25), GROWTH_EDITS (32),
// DATABASE_URL.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo";
import type { SyncItemInit } from "../client/core/transport/relay-session.js";
import type { EntityDocument } from "../schema/entities.js";
import { Operation, type SyncResult } from "../schema/protocol/frames.js";
import { fmtRatio, median, table } from "./report.js";
import { Cleanup, withTimeout } from "./support/bounded.js";
import { createBenchSchema, databaseUrl, serverFacts, withAdmin } from "./support/postgres.js";
import { acknowledged, connectDevice, signInDevice, workoutCreate, type ProtocolDevice } from "./support/protocol-device.js";
import { startBenchRelay, type BenchRelayProcess } from "./support/relay-process.js";
import { EXERCISES, SETS_PER_EXERCISE, addedSet, workoutDocument } from "./workload.js";
import { envInt } from "./support/env.js";

type Workout = EntityDocument<"workout">;


function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const values = raw.split(",").map((v) => Number(v.trim()));
  if (values.some((v) => !Number.isSafeInteger(v) || v < 1)) throw new Error(`${name} must be a comma list of positive integers, got ${raw}`);
  return values;
}

const ENTITIES = envList("GROWTH_ENTITIES", [100, 1_000, 10_000]);
const HISTORY = envList("GROWTH_HISTORY", [10, 100, 1_000]);
const ROUNDS = envInt("GROWTH_ROUNDS", 3);
const ITEMS = envInt("GROWTH_ITEMS", 50);
const BATCH = envInt("GROWTH_BATCH", 25);
const EDITS = envInt("GROWTH_EDITS", 32);
const FILL_BATCH = 250;
const WAIT_MS = 120_000;
const PHASE_TIMEOUT_MS = 20 * 60_000;

/** What the bench knows of one of its workouts: the relay's version and the document's bytes. */
interface Known {
  id: string;
  version: number;
  bytes: Uint8Array;
}

interface Person {
  label: string;
  account: string;
  device: ProtocolDevice;
  workouts: Known[];
}

/** One timed window: items pushed (or pulled), wall and relay CPU over it. */
interface Window {
  items: number;
  wallMs: number;
  relayCpuMs: number;
}

interface PerItem {
  wallMsPerItem: number;
  relayCpuMsPerItem: number;
}

let workoutNumber = 0;
let setNumber = 0;

function perItem(w: Window): PerItem {
  return { wallMsPerItem: w.wallMs / w.items, relayCpuMsPerItem: w.relayCpuMs / w.items };
}

function medianPerItem(windows: readonly Window[]): PerItem {
  const each = windows.map(perItem);
  return { wallMsPerItem: median(each.map((e) => e.wallMsPerItem)), relayCpuMsPerItem: median(each.map((e) => e.relayCpuMsPerItem)) };
}

function inBatches<T>(all: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < all.length; i += size) batches.push(all.slice(i, i + size));
  return batches;
}

function newWorkouts(person: Person, count: number): { items: SyncItemInit[]; known: Known[] } {
  const items: SyncItemInit[] = [];
  const known: Known[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const item = workoutCreate(workoutNumber++, person.device.session.deviceId, person.device.name, now);
    items.push(item);
    known.push({ id: item.entityId!, version: 0, bytes: item.data as Uint8Array });
  }
  return { items, known };
}

/** One added set to `w`, as the device pushes it: the change since the relay's heads. */
function addSetUpdate(w: Known): SyncItemInit {
  const now = Date.now();
  const doc = A.load<Workout>(w.bytes);
  const heads = A.getHeads(doc);
  const { exercise, set } = addedSet(setNumber++);
  const next = A.change(doc, (d) => {
    d.payload.exercises[exercise]!.sets.push(set);
    d.updatedAt = now;
  });
  const data = A.saveSince(next, heads);
  w.bytes = A.save(next);
  A.free(next);
  return { entityType: "workout", entityId: w.id, operation: Operation.UPDATE, data, version: w.version, timestamp: BigInt(now) };
}

/** Pushes the batches one at a time; every item must be acknowledged; versions are kept. */
async function push(device: ProtocolDevice, batches: readonly SyncItemInit[][], known: ReadonlyMap<string, Known>): Promise<void> {
  for (const batch of batches) {
    const results: SyncResult[] = await device.push(batch);
    const { ok, firstFailure } = acknowledged(results);
    if (ok !== batch.length) throw new Error(`${device.name}: ${ok} of ${batch.length} acknowledged; ${firstFailure}`);
    for (const r of results) {
      const w = known.get(r.entityId);
      if (w) w.version = r.serverVersion;
    }
  }
}

async function timed(relay: BenchRelayProcess, items: number, run: () => Promise<unknown>): Promise<Window> {
  const cpu0 = relay.cpuMs();
  const t0 = performance.now();
  await run();
  return { items, wallMs: performance.now() - t0, relayCpuMs: relay.cpuMs() - cpu0 };
}

async function openPerson(relay: BenchRelayProcess, cleanup: Cleanup, label: string, deviceName: string, first: boolean): Promise<ProtocolDevice> {
  const session = await signInDevice(relay.syncUrl, label, deviceName, first);
  const device = await connectDevice(relay.syncUrl, deviceName, session, WAIT_MS);
  cleanup.add(`device ${deviceName}`, () => device.close());
  return device;
}

/** Fills the person up to `count` workouts, untimed. */
async function fill(person: Person, count: number): Promise<void> {
  while (person.workouts.length < count) {
    const { items, known } = newWorkouts(person, Math.min(FILL_BATCH, count - person.workouts.length));
    await push(person.device, [items], new Map(known.map((k) => [k.id, k])));
    person.workouts.push(...known);
  }
}

interface EntityRound {
  entitiesBefore: number;
  create: Window;
  update: Window;
}

/** ITEMS creates, then ITEMS updates of workouts picked at random, in batches of BATCH. */
async function entityRound(relay: BenchRelayProcess, person: Person): Promise<EntityRound> {
  const entitiesBefore = person.workouts.length;
  const fresh = newWorkouts(person, ITEMS);
  const freshKnown = new Map(fresh.known.map((k) => [k.id, k]));
  const create = await timed(relay, ITEMS, () => push(person.device, inBatches(fresh.items, BATCH), freshKnown));
  // Distinct picks from the workouts the person had before this round.
  const picked = new Set<number>();
  while (picked.size < Math.min(ITEMS, entitiesBefore)) picked.add(Math.floor(Math.random() * entitiesBefore));
  const targets = [...picked].map((i) => person.workouts[i]!);
  const updates = targets.map(addSetUpdate);
  const update = await timed(relay, updates.length, () => push(person.device, inBatches(updates, BATCH), new Map(targets.map((k) => [k.id, k]))));
  person.workouts.push(...fresh.known);
  return { entitiesBefore, create, update };
}

/** Edit k of a history: a set's weight and the workout's updatedAt (the document's size stays flat). */
function historyEdit(d: Workout, k: number, now: number): void {
  const exercise = k % EXERCISES;
  const set = Math.floor(k / EXERCISES) % SETS_PER_EXERCISE;
  d.payload.exercises[exercise]!.sets[set]!.weight = 60 + (k % 40) * 2.5;
  d.updatedAt = now + k;
}

interface HistoryRound {
  changes: number;
  push: Window;
  pull: Window;
  /** The stored row's document bytes after the edits (what a pull answers with). */
  storedBytes: number;
}

/** A workout with `changes` changes of history, pushed as a create; then EDITS edits, each pushed by A and pulled by B. */
async function historyRound(relay: BenchRelayProcess, schema: string, a: ProtocolDevice, b: ProtocolDevice, changes: number): Promise<HistoryRound> {
  const now = Date.now();
  const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
  let doc = A.from<Workout>(workoutDocument(workoutNumber++, id, a.session.deviceId, a.name, now));
  for (let k = 1; k < changes; k++) doc = A.change(doc, (d) => historyEdit(d, k, now));
  const known: Known = { id, version: 0, bytes: A.save(doc) };
  const byId = new Map([[id, known]]);
  await push(a, [[{ entityType: "workout", entityId: id, operation: Operation.CREATE, data: known.bytes, version: 0, timestamp: BigInt(now) }]], byId);
  await b.pull();
  const pushed: Window = { items: 0, wallMs: 0, relayCpuMs: 0 };
  const pulled: Window = { items: 0, wallMs: 0, relayCpuMs: 0 };
  for (let e = 0; e < EDITS; e++) {
    const heads = A.getHeads(doc);
    doc = A.change(doc, (d) => historyEdit(d, changes + e, Date.now()));
    const item: SyncItemInit = { entityType: "workout", entityId: id, operation: Operation.UPDATE, data: A.saveSince(doc, heads), version: known.version, timestamp: BigInt(Date.now()) };
    add(pushed, await timed(relay, 1, () => push(a, [[item]], byId)));
    let got = 0;
    add(
      pulled,
      await timed(relay, 1, async () => {
        got = await b.pull();
      }),
    );
    if (got !== 1) throw new Error(`B pulled ${got} entities after edit ${e} of ${id}, expected 1`);
  }
  A.free(doc);
  const storedBytes = await withAdmin(async (admin) => {
    const row = (await admin.query<{ n: number }>(`SELECT octet_length(doc) AS n FROM ${schema}.entities WHERE entity_id = $1`, [id])).rows[0];
    return row ? row.n : -1;
  });
  return { changes, push: pushed, pull: pulled, storedBytes };
}

function add(into: Window, w: Window): void {
  into.items += w.items;
  into.wallMs += w.wallMs;
  into.relayCpuMs += w.relayCpuMs;
}

/** Round r visits the levels in order, round r + 1 in reverse. */
function order<T>(levels: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...levels] : [...levels].reverse();
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

async function main(): Promise<void> {
  const cleanup = new Cleanup();
  try {
    const load = { start: loadavg()[0]!, samples: [] as number[], end: 0 };
    const sampleLoad = () => load.samples.push(round2(loadavg()[0]!));
    const postgres = await serverFacts();
    const schema = await createBenchSchema();
    cleanup.add("schema", () => schema.drop());
    const url = new URL(databaseUrl);
    url.searchParams.set("options", `-c search_path=${schema.name}`);
    const relay = await startBenchRelay({ databaseUrl: url.toString(), fanout: "off" });
    cleanup.add("relay", () => relay.stop());
    const tag = schema.name;
    console.log(`growth: entities ${ENTITIES.join(", ")}; history ${HISTORY.join(", ")} changes; ${ROUNDS} rounds, ${ITEMS} items in batches of ${BATCH}, ${EDITS} edits; ${cpus().length} CPUs, load ${load.start.toFixed(1)}`);

    // Setup: one person per entity level (and one for the warm-up), filled; A and B for history.
    // Filling 10,000 takes minutes: each person's connection is closed once filled, and every
    // person signs in and connects again after all are (the relay closes a connection idle for 5
    // minutes, and an access token lasts 15).
    const setupStart = performance.now();
    const person = async (label: string, count: number): Promise<Person> => {
      const account = `growth-${tag}-${label}`;
      const filling = new Cleanup();
      const p: Person = { label, account, device: await openPerson(relay, filling, account, `growth-${label}`, true), workouts: [] };
      try {
        await withTimeout(fill(p, count), PHASE_TIMEOUT_MS, `filling ${label} to ${count}`);
      } finally {
        await filling.run();
      }
      console.log(`  ${label}: ${count} workouts (${((performance.now() - setupStart) / 1000).toFixed(0)} s)`);
      return p;
    };
    const warm = await person("warm-up", Math.min(...ENTITIES));
    const people: Person[] = [];
    for (const n of ENTITIES) people.push(await person(`entities-${n}`, n));
    for (const p of [warm, ...people]) p.device = await openPerson(relay, cleanup, p.account, `growth-${p.label}`, false);
    const historyA = await openPerson(relay, cleanup, `growth-${tag}-history`, "growth-history-a", true);
    const historyB = await openPerson(relay, cleanup, `growth-${tag}-history`, "growth-history-b", false);
    await historyB.pull();
    const setupMs = performance.now() - setupStart;
    sampleLoad();

    await entityRound(relay, warm);
    await historyRound(relay, schema.name, historyA, historyB, Math.min(...HISTORY));

    const entityRounds = new Map<number, EntityRound[]>(ENTITIES.map((n) => [n, []]));
    const historyRounds = new Map<number, HistoryRound[]>(HISTORY.map((h) => [h, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [i, n] of order([...ENTITIES.entries()], r)) {
        entityRounds.get(n)!.push(await withTimeout(entityRound(relay, people[i]!), PHASE_TIMEOUT_MS, `entity round ${r} at ${n}`));
      }
      for (const h of order(HISTORY, r)) {
        historyRounds.get(h)!.push(await withTimeout(historyRound(relay, schema.name, historyA, historyB, h), PHASE_TIMEOUT_MS, `history round ${r} at ${h}`));
      }
      sampleLoad();
      console.log(`  round ${r + 1} of ${ROUNDS} done, load ${loadavg()[0]!.toFixed(1)}`);
    }
    load.end = loadavg()[0]!;

    const entityLevels = ENTITIES.map((n) => {
      const rounds = entityRounds.get(n)!;
      return { entities: n, entitiesBeforeEachRound: rounds.map((r) => r.entitiesBefore), create: medianPerItem(rounds.map((r) => r.create)), update: medianPerItem(rounds.map((r) => r.update)), rounds };
    });
    const historyLevels = HISTORY.map((h) => {
      const rounds = historyRounds.get(h)!;
      return { changes: h, push: medianPerItem(rounds.map((r) => r.push)), pull: medianPerItem(rounds.map((r) => r.pull)), storedBytes: rounds.map((r) => r.storedBytes), rounds };
    });
    const firstE = entityLevels[0]!;
    const lastE = entityLevels.at(-1)!;
    const firstH = historyLevels[0]!;
    const lastH = historyLevels.at(-1)!;
    const ratio = (a: number, b: number) => round2(a / b);
    const ratios = {
      entities: {
        of: `${lastE.entities} / ${firstE.entities} entities`,
        createRelayCpu: ratio(lastE.create.relayCpuMsPerItem, firstE.create.relayCpuMsPerItem),
        createWall: ratio(lastE.create.wallMsPerItem, firstE.create.wallMsPerItem),
        updateRelayCpu: ratio(lastE.update.relayCpuMsPerItem, firstE.update.relayCpuMsPerItem),
        updateWall: ratio(lastE.update.wallMsPerItem, firstE.update.wallMsPerItem),
      },
      history: {
        of: `${lastH.changes} / ${firstH.changes} changes`,
        pushRelayCpu: ratio(lastH.push.relayCpuMsPerItem, firstH.push.relayCpuMsPerItem),
        pushWall: ratio(lastH.push.wallMsPerItem, firstH.push.wallMsPerItem),
        pullRelayCpu: ratio(lastH.pull.relayCpuMsPerItem, firstH.pull.relayCpuMsPerItem),
        pullWall: ratio(lastH.pull.wallMsPerItem, firstH.pull.wallMsPerItem),
      },
      target: "flat (1x)",
    };

    const f = (x: number) => x.toFixed(2);
    const rows: string[][] = [
      ...entityLevels.map((l) => [
        `${l.entities} entities (${l.entitiesBeforeEachRound.join("/")} before each round)`,
        `${f(l.create.relayCpuMsPerItem)} / ${f(l.create.wallMsPerItem)}`,
        `${f(l.update.relayCpuMsPerItem)} / ${f(l.update.wallMsPerItem)}`,
      ]),
      [`ratio ${ratios.entities.of}`, `${fmtRatio(ratios.entities.createRelayCpu)} / ${fmtRatio(ratios.entities.createWall)}`, `${fmtRatio(ratios.entities.updateRelayCpu)} / ${fmtRatio(ratios.entities.updateWall)}`],
    ];
    console.log(table(["person holds", "create: relay CPU / wall ms per item", "update: relay CPU / wall ms per item"], rows));
    const hrows: string[][] = [
      ...historyLevels.map((l) => [`${l.changes} changes (stored ${l.storedBytes.join("/")} B)`, `${f(l.push.relayCpuMsPerItem)} / ${f(l.push.wallMsPerItem)}`, `${f(l.pull.relayCpuMsPerItem)} / ${f(l.pull.wallMsPerItem)}`]),
      [`ratio ${ratios.history.of}`, `${fmtRatio(ratios.history.pushRelayCpu)} / ${fmtRatio(ratios.history.pushWall)}`, `${fmtRatio(ratios.history.pullRelayCpu)} / ${fmtRatio(ratios.history.pullWall)}`],
    ];
    console.log(table(["one edit to a workout with", "push: relay CPU / wall ms", "pull by B: relay CPU / wall ms"], hrows));
    console.log(`setup ${(setupMs / 1000).toFixed(0)} s; load average ${load.start.toFixed(1)} -> ${load.end.toFixed(1)} (${load.samples.join(", ")})`);

    const results = {
      section: "growth: cost per item from 100 to 10,000 entities and from 10 to 1,000 changes of history",
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, loadAverageStart: load.start, loadAverageSamples: load.samples, loadAverageEnd: load.end, postgres },
      settings: { entities: ENTITIES, history: HISTORY, rounds: ROUNDS, items: ITEMS, batch: BATCH, edits: EDITS, fillBatch: FILL_BATCH },
      setupMs,
      entities: entityLevels,
      history: historyLevels,
      ratios,
    };
    const out = join(dirname(fileURLToPath(import.meta.url)), "results", "growth.json");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
    console.log("written: bench/results/growth.json");
  } finally {
    const failures = await cleanup.run();
    if (failures.length > 0) console.error(`cleanup: ${failures.join("; ")}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
