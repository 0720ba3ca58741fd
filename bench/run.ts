// `npm run bench`: the sync backbone benchmark. Our relay (on the machine's Postgres, and on
// PGlite) beside its anchors, in one run: Automerge Repo's own sync server doing the same job,
// and the floor (a bare WebSocket round trip on loopback plus one raw optimistic-lock commit
// through pg). Prints a table, writes bench/results/latest.json (committed). Measures only:
// nothing here passes or fails on time. Exits by itself; a watchdog ends a run that overstays
// its budget and still prints what was measured. The floor section also measures Automerge's own
// work per edit (anchors/automerge-floor.ts): the part of the CPU per edit no relay and devices
// keeping Automerge documents can do without.
//
// Knobs (environment): BENCH_N (100), BENCH_K (200), BENCH_EDIT_BUDGET_S (30), BENCH_WARMUP (5),
// BENCH_FLOOR_SAMPLES (500), BENCH_ONLY (comma list of floor,postgres,pglite,automerge-repo;
// default all but pglite), BENCH_PGLITE=1 (add PGlite: N=BENCH_PGLITE_N (50), K=BENCH_PGLITE_K
// (100), half the edit time box), BENCH_BUDGET_S (175, the watchdog), DATABASE_URL.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runAutomergeRepoServer } from "./anchors/automerge-repo-server.js";
import { measureAutomergeEditFloor, type AutomergeEditFloor } from "./anchors/automerge-floor.js";
import { measureFloor, type FloorResult } from "./anchors/floor.js";
import { runIronFlowRelay } from "./ironflow-relay.js";
import { BENCH_FRAMES_PER_SECOND } from "./relay-pair.js";
import { fmtMs, fmtRate, fmtRatio, ratio, table } from "./report.js";
import type { ScenarioOptions, ScenarioResult } from "./scenario.js";
import { Cleanup } from "./support/bounded.js";
import { createBenchSchema, databaseUrl, serverFacts } from "./support/postgres.js";
import { EXERCISES, SETS_PER_EXERCISE } from "./workload.js";
import { envInt } from "./support/env.js";

const SECTIONS = ["floor", "postgres", "pglite", "automerge-repo"] as const;
type Section = (typeof SECTIONS)[number];


const WAIT_MS = 60_000;
/** Issue 17's target for the CPU of one edit, devices plus relay. */
const CPU_PER_EDIT_TARGET_MS = 2;
// Edit loops are time-boxed (see ScenarioOptions.editBudgetMs) so a busy machine still finishes.
const options: ScenarioOptions = {
  n: envInt("BENCH_N", 100),
  k: envInt("BENCH_K", 200),
  warmup: envInt("BENCH_WARMUP", 5),
  waitMs: WAIT_MS,
  editBudgetMs: envInt("BENCH_EDIT_BUDGET_S", 30) * 1000,
};
// PGlite is the embedded default, not the deployment: a smaller run keeps the whole under budget.
const pgliteOptions: ScenarioOptions = {
  ...options,
  n: envInt("BENCH_PGLITE_N", 50),
  k: envInt("BENCH_PGLITE_K", 100),
  editBudgetMs: Math.round(options.editBudgetMs / 2),
};
const floorSamples = envInt("BENCH_FLOOR_SAMPLES", 500);
const BUDGET_MS = envInt("BENCH_BUDGET_S", 175) * 1000;
const only = (process.env["BENCH_ONLY"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
for (const name of only) {
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`BENCH_ONLY: unknown section ${name} (known: ${SECTIONS.join(", ")})`);
}
// PGlite is not cheap to start here (seconds of WASM start-up and data folder, even from a
// template), so it runs when asked for.
const withPglite = process.env["BENCH_PGLITE"] === "1";
const enabled = (section: Section) => (only.length === 0 ? section !== "pglite" || withPglite : only.includes(section));

interface Measured {
  machine?: Record<string, string | number>;
  floor?: FloorResult;
  automergeFloor?: AutomergeEditFloor;
  ours: { result: ScenarioResult; options: ScenarioOptions }[];
  anchor?: { result: ScenarioResult; options: ScenarioOptions };
}
const measured: Measured = { ours: [] };

const global = new Cleanup();
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)}s`;
const log = (message: string) => console.log(`[${elapsed()}] ${message}`);

// A library's stray rejection (e.g. a timer firing after shutdown) is reported, not fatal.
process.on("unhandledRejection", (reason) => {
  console.error("bench: unhandled rejection:", reason instanceof Error ? reason.message : reason);
});

const watchdog = setTimeout(() => {
  console.error(`bench: over its ${BUDGET_MS / 1000} s budget; reporting what was measured, cleaning up, stopping`);
  try {
    report(true);
  } finally {
    void global.run(3_000).finally(() => process.exit(2));
  }
}, BUDGET_MS);

async function section<T>(name: string, body: (cleanup: Cleanup) => Promise<T>): Promise<T> {
  const cleanup = new Cleanup();
  const t = performance.now();
  log(`${name} ...`);
  global.add(`section ${name}`, () => cleanup.run(3_000));
  try {
    return await body(cleanup);
  } finally {
    const failures = await cleanup.run();
    for (const failure of failures) console.error(`bench: cleanup: ${failure}`);
    log(`${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
}

async function main(): Promise<void> {
  const pg = await serverFacts();
  const machine = {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage1mAtStart: Math.round(loadavg()[0]! * 100) / 100,
    postgres: `${pg.version} (fsync=${pg.fsync}, synchronous_commit=${pg.synchronousCommit})`,
    database: databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@"),
  };
  measured.machine = machine;
  console.log(
    `machine: nproc=${machine.nproc}, ${machine.cpu}, ${machine.memoryGb} GB, node ${machine.node}, ${machine.platform}, load average (1 min) ${machine.loadAverage1mAtStart}`,
  );
  console.log(`postgres: ${machine.postgres} at ${machine.database}`);
  console.log(
    `workload: workouts of ${EXERCISES} exercises x ${SETS_PER_EXERCISE} sets; edit = add one set; N=${options.n}, K=${options.k}${enabled("pglite") ? ` (PGlite N=${pgliteOptions.n}, K=${pgliteOptions.k})` : ""}; warm-up ${options.warmup} documents + ${options.warmup} edits; floor samples ${floorSamples}`,
  );
  console.log(`setup: devices, relay (or sync server) in this one process; our relay's frames/s per connection raised to ${BENCH_FRAMES_PER_SECOND}`);

  const schema = await createBenchSchema();
  global.add(`schema ${schema.name}`, () => schema.drop());

  if (enabled("floor")) {
    measured.floor = await section("floor (ws echo + pg commit)", () => measureFloor({ samples: floorSamples, schema: schema.name }));
  }
  if (enabled("postgres")) {
    const result = await section("ours on postgres", (c) => runIronFlowRelay("postgres", schema.name, options, c));
    measured.ours.push({ result, options });
  }
  if (enabled("pglite")) {
    const result = await section("ours on pglite", (c) => runIronFlowRelay("pglite", schema.name, pgliteOptions, c));
    measured.ours.push({ result, options: pgliteOptions });
  }
  // After ours, so Automerge's WebAssembly is as warm (compiled, optimised) as it was for our edits.
  if (enabled("floor")) {
    measured.automergeFloor = await section("floor: Automerge's own work per edit", () => Promise.resolve(measureAutomergeEditFloor(options.k)));
  }
  if (enabled("automerge-repo")) {
    const result = await section("anchor: automerge-repo sync server", (c) => runAutomergeRepoServer(options, c));
    measured.anchor = { result, options };
  }
  report(false);
}

function report(partial: boolean): void {
  const { floor, automergeFloor, anchor } = measured;
  const a = anchor?.result;
  console.log(partial ? "\n(partial: the run did not finish)\n" : "");
  if (floor) {
    console.log(
      table(
        ["floor", "p50", "p99", "samples"],
        [
          ["ws round trip (loopback echo, 256 B)", fmtMs(floor.wsRoundTrip.p50), fmtMs(floor.wsRoundTrip.p99), String(floor.wsRoundTrip.samples)],
          [`pg optimistic UPDATE, autocommit (${floor.docBytes} B doc)`, fmtMs(floor.pgCommit.p50), fmtMs(floor.pgCommit.p99), String(floor.pgCommit.samples)],
          ["floor = round trip + commit (p50s)", fmtMs(floor.floorP50), "", ""],
        ],
      ),
    );
    console.log("");
  }
  if (automergeFloor) {
    const s = automergeFloor.steps;
    console.log(
      `Automerge's own work per edit (CPU, ${automergeFloor.edits} edits of one workout): ${fmtMs(automergeFloor.cpuMsPerEdit)}` +
        ` = A's change ${fmtMs(s.change)} + its saveSince ${fmtMs(s.saveSince)} + the relay's loadIncremental ${fmtMs(s.relayApply)} + B's ${fmtMs(s.otherDeviceApply)}\n`,
    );
  }
  const rows = [...measured.ours, ...(anchor ? [anchor] : [])];
  if (rows.length > 0) {
    console.log(
      table(
        ["system", "N", "items/s", "cpu/item", "K", "edit p50", "edit p99", "cpu/edit", "p50/floor", "p50/anchor", "p99/anchor", "items/s / anchor"],
        rows.map(({ result: r, options: o }) => [
          r.name,
          String(o.n),
          fmtRate(r.throughput.itemsPerSecond),
          fmtMs(r.throughput.cpuMsPerItem),
          r.latency.samples === o.k ? String(o.k) : `${r.latency.samples} of ${o.k}`,
          fmtMs(r.latency.p50),
          fmtMs(r.latency.p99),
          fmtMs(r.cpuMsPerEdit),
          fmtRatio(ratio(r.latency.p50, floor?.floorP50)),
          r === a ? "" : fmtRatio(ratio(r.latency.p50, a?.latency.p50)),
          r === a ? "" : fmtRatio(ratio(r.latency.p99, a?.latency.p99)),
          r === a ? "" : fmtRatio(ratio(r.throughput.itemsPerSecond, a?.throughput.itemsPerSecond)),
        ]),
      ),
    );
    console.log("(cpu = CPU time of this process per item / per edit: devices plus relay or sync server, not Postgres;");
    console.log(` "x of K" = the edit loop hit its time box, ${options.editBudgetMs / 1000} s (PGlite ${pgliteOptions.editBudgetMs / 1000} s), after x edits)\n`);
    for (const { result: r } of rows) {
      const notes = Object.entries(r.notes ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(" ");
      console.log(
        `${r.name}: N in ${fmtMs(r.throughput.ms)}, of which A's creates ${fmtMs(r.throughput.localMs)}; edit mean ${fmtMs(r.latency.mean)}, min ${fmtMs(r.latency.min)}, max ${fmtMs(r.latency.max)}${notes ? `; ${notes}` : ""}`,
      );
    }
  }
  if (floor && measured.ours.length > 0) {
    const target = 4 * floor.floorP50;
    console.log(`\ntargets (DESIGN.md): edit p50 <= 4 x floor = ${fmtMs(target)} here; p99 <= 10 ms`);
    for (const { result: r } of measured.ours) {
      console.log(
        `  ${r.name}: p50 ${fmtMs(r.latency.p50)} = ${fmtRatio(ratio(r.latency.p50, floor.floorP50))} floor (${r.latency.p50 <= target ? "within" : "over"}); p99 ${fmtMs(r.latency.p99)} (${r.latency.p99 <= 10 ? "within" : "over"})`,
      );
    }
  }
  if (automergeFloor && measured.ours.length > 0) {
    console.log(`targets (issue 17): CPU per edit <= ${fmtMs(CPU_PER_EDIT_TARGET_MS)}; Automerge's own work alone is ${fmtMs(automergeFloor.cpuMsPerEdit)} here`);
    for (const { result: r } of measured.ours) {
      console.log(`  ${r.name}: ${fmtMs(r.cpuMsPerEdit)} = ${fmtRatio(ratio(r.cpuMsPerEdit, automergeFloor.cpuMsPerEdit))} Automerge's own work`);
    }
  }
  const end = Math.round(loadavg()[0]! * 100) / 100;
  console.log(`\nload average (1 min) at the end: ${end} on ${measured.machine?.["nproc"] ?? "?"} cpus; ${elapsed()} in all`);

  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "latest.json");
  mkdirSync(dirname(out), { recursive: true });
  const json = {
    at: new Date().toISOString(),
    partial,
    machine: measured.machine,
    loadAverage1mAtEnd: end,
    durationS: (performance.now() - started) / 1000,
    floor,
    automergeFloor: automergeFloor ?? null,
    results: rows.map(({ result: r, options: o }) => ({
      ...r,
      config: { n: o.n, k: o.k, warmup: o.warmup, exercises: EXERCISES, setsPerExercise: SETS_PER_EXERCISE },
      ratios: {
        p50OverFloor: ratio(r.latency.p50, floor?.floorP50),
        cpuPerEditOverAutomergeFloor: ratio(r.cpuMsPerEdit, automergeFloor?.cpuMsPerEdit),
        p50OverAnchor: r === a ? null : ratio(r.latency.p50, a?.latency.p50),
        p99OverAnchor: r === a ? null : ratio(r.latency.p99, a?.latency.p99),
        itemsPerSecondOverAnchor: r === a ? null : ratio(r.throughput.itemsPerSecond, a?.throughput.itemsPerSecond),
      },
    })),
  };
  writeFileSync(out, `${JSON.stringify(json, (_, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2)}\n`);
  console.log(`wrote ${out}`);
}

let code = 1;
try {
  await main();
  code = 0;
} catch (err) {
  console.error("bench failed:", err instanceof Error ? (err.stack ?? err.message) : err);
  if (measured.floor || measured.ours.length > 0 || measured.anchor) report(true);
} finally {
  for (const failure of await global.run()) console.error(`bench: cleanup: ${failure}`);
  clearTimeout(watchdog);
}
process.exitCode = code;
// Everything is closed; if a library still holds the event loop open, say so and leave anyway.
setTimeout(() => {
  console.error(`bench: ${process.getActiveResourcesInfo().join(", ")} still held the event loop 2 s after cleanup; exiting`);
  process.exit(code);
}, 2_000).unref();
