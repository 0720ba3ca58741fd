// The convergence property: 2 to 5 devices make random changes while the network between each of
// them and the relay drops, duplicates and reorders frames, partitions and heals; devices are
// SIGKILLed (at once, or right after they said "saved") and reopened on their folders, the relay
// process is SIGKILLed (at once, or as a push reaches it) and started again, and the database
// server restarts (a crash, or a clean stop). After heal every device is closed and reopened on
// its folder and read back whole, and a checker judges the result against a ledger the test kept
// on its own (checker.ts):
// - every set a device reported saved is on every device and in Postgres, or named in a
//   resolution record visible on every device;
// - nothing removed on purpose (a deleted set, a deleted workout's sets, the side not chosen in a
//   conflict) comes back, unless a later deliberate act brought it back;
// - every set shown holds values someone entered for it; no set is shown twice;
// - every replica (each device, Postgres) is identical and at the relay's version; no document
//   reads back empty;
// - only workouts and progressions ever ask the person; heal reaches quiescence; no exception
//   escapes, and no device or relay process dies unasked.
//
// Real mechanisms only: each device is a Node client in a process of its own (device-host.ts, one
// of a pool of warm processes reused across runs), talking to the relay process (relay-main.ts:
// relay/main.ts with test accounts, without the exercise library) through its own WebSocket proxy (faulty-link.ts);
// the relay's database is a PostgreSQL 15 cluster private to this test process
// (test/support/private-postgres.ts: PostgreSQL 15's binaries, run as the postgres user when the
// test runs as root), so restarting it disturbs no other test file. Devices push at most
// PROPERTY_BATCH items per batch, and a step logs several workouts while cut off, so catch-ups
// span batches. A run that reaches its final check costs about 1.9 s of CPU over all its
// processes (device hosts two thirds of it; measured here): 200 runs need a bit over 3 minutes
// of two idle cores, more on a loaded machine.
//
// Seeded and replayable. Environment:
//   PROPERTY_RUNS      runs (default 200; e.g. 5000 for a long search)
//   PROPERTY_SEED      the seed (default fixed, so CI always runs the same scenarios)
//   PROPERTY_PATH      with PROPERTY_SEED, replays exactly one scenario (every failure prints its
//                      line), without shrinking it further. A replay is the same
//                      scenario, not the same timing: a failure that hung on a moment (a kill
//                      during a write) may need a few tries
//   PROPERTY_SCENARIO  a scenario as JSON (every failure prints its own): runs exactly that one,
//                      whatever the generator has become since
//   PROPERTY_STEPS     most steps per scenario (default 30)
//   PROPERTY_SHRINK    0 stops at the first failure without shrinking
//   PROPERTY_SHRINK_SECONDS  how long shrinking may go on after the first failure (default 120);
//                      then the smallest failing scenario found so far is reported
//   PROPERTY_KEEP_GOING  1 runs every scenario even after failures, printing each failing run's
//                      causes and replay line, then fails with a summary (to survey a seed range)
//   PROPERTY_EXAMPLES  0 skips the known counterexamples (counterexamples.ts) run first
//   PROPERTY_BATCH     items per push batch on the devices (default 3)
//   PROPERTY_REQUEST_TIMEOUT_MS  the devices' request timeout (default 500)
//   PROPERTY_LIBRARY   1: the relay publishes the exercise library to every device, as
//                      relay/main.ts does (default: not published; see relay-main.ts)
//   PROPERTY_TSX       1 starts device hosts and the relay with `node --import tsx` instead of
//                      from esbuild bundles of the same code (see bundles.ts)
//   PROPERTY_HOST_PROFILE  a folder: each device host writes a CPU profile there when it exits
//   PROPERTY_STATS     1 prints how often each step, fault and outcome happened over the runs,
//                      and where the time went
//   PROPERTY_TRACE     1 prints the trace of every run, passed or not; "live" prints each line
//                      as it happens (to watch a run that hangs)
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeBundles } from "./bundles.js";
import { COUNTEREXAMPLES } from "./counterexamples.js";
import { removeDeviceFolders } from "./devices.js";
import { RelayUnderTest } from "./relay-under-test.js";
import { HostPool } from "./remote-device.js";
import { runScenario, type PropertyViolation, type RunEnvironment } from "./run-scenario.js";
import { MAX_DEVICES, scenarioArbitrary, type Scenario } from "./scenario.js";

const DEFAULT_SEED = 20261120;
const env = process.env;
const numRuns = positive(env["PROPERTY_RUNS"], 200);
const seed = env["PROPERTY_SEED"] ? Number(env["PROPERTY_SEED"]) : DEFAULT_SEED;
const path = env["PROPERTY_PATH"] || undefined;
const maxSteps = positive(env["PROPERTY_STEPS"], 30);
const shrink = env["PROPERTY_SHRINK"] !== "0";
const shrinkBudgetMs = positive(env["PROPERTY_SHRINK_SECONDS"], 120) * 1000;
const keepGoing = env["PROPERTY_KEEP_GOING"] === "1";
const withExamples = env["PROPERTY_EXAMPLES"] !== "0";
const stats = env["PROPERTY_STATS"] === "1" ? new Map<string, number>() : undefined;
const TEST_FILE = "test/property/convergence.pg.test.ts";
/** Knobs that change what a run does: a replay line repeats the ones set. */
const BEHAVIOUR_KNOBS = ["PROPERTY_STEPS", "PROPERTY_EXAMPLES", "PROPERTY_BATCH", "PROPERTY_REQUEST_TIMEOUT_MS", "PROPERTY_LIBRARY", "PROPERTY_TSX"];
const knobs = BEHAVIOUR_KNOBS.filter((k) => env[k] !== undefined && env[k] !== "").map((k) => `${k}=${env[k]} `).join("");

function replayLine(seedToReplay: number, pathToReplay: string): string {
  return `${knobs}PROPERTY_SEED=${seedToReplay} PROPERTY_PATH=${pathToReplay} PROPERTY_SHRINK=0 npx vitest run ${TEST_FILE}`;
}

let environment: RunEnvironment;
/** Set once beforeAll got that far (it may fail part-way, and afterAll runs anyway). */
let opened: RunEnvironment | undefined;
let runCounter = 0;

beforeAll(async () => {
  const pool = new HostPool(MAX_DEVICES + 1);
  const [relay] = await Promise.all([RelayUnderTest.start({ library: env["PROPERTY_LIBRARY"] === "1" }), pool.warm()]);
  opened = environment = {
    relay,
    pool,
    // Short, so a dropped frame costs little; a slow machine only adds faults, never wrong answers.
    requestTimeoutMs: positive(env["PROPERTY_REQUEST_TIMEOUT_MS"], 500),
    maxBatchItems: positive(env["PROPERTY_BATCH"], 3),
  };
}, 120_000);

// A test runner may end its worker without an `exit` event: everything this file made goes here.
afterAll(async () => {
  await opened?.pool.close();
  await opened?.relay.close();
  await opened?.relay.pg.destroy();
  removeDeviceFolders();
  removeBundles();
}, 120_000);

describe("convergence under faults, kills and restarts", () => {
  it(
    `after heal every replica and Postgres agree and no saved set is lost (${numRuns} runs, seed ${seed})`,
    async () => {
      const given = env["PROPERTY_SCENARIO"];
      const examples = given || !withExamples ? [] : COUNTEREXAMPLES.map(({ scenario }) => [scenario] as [Scenario]);
      // A replay runs the one scenario its path names. Handed a path with ":", fast-check would go
      // on through every shrink candidate after it, so the scenario is taken from the same stream
      // (same seed, examples and tuple) and run alone.
      const named = given ? (JSON.parse(given) as Scenario) : path ? fc.sample(fc.tuple(scenarioArbitrary(maxSteps)), { seed, path, examples, numRuns: 1 })[0]?.[0] : undefined;
      const scenarios = named ? fc.constant(named) : scenarioArbitrary(maxSteps);
      const failures: { run: number; path: string; summary: string }[] = [];
      let firstFailureAt: number | undefined;
      let skippedWhileShrinking = 0;
      let generated = -1;
      const property = fc.asyncProperty(scenarios, async (scenario) => {
        generated++;
        // Shrinking past its budget: the remaining candidates count as passing, so fast-check
        // ends with the smallest failing scenario found so far.
        if (firstFailureAt !== undefined && !keepGoing && performance.now() - firstFailureAt > shrinkBudgetMs) {
          skippedWhileShrinking++;
          return;
        }
        const person = `user-${++runCounter}`;
        try {
          const counts = await runScenario(environment, scenario, {
            person,
            onTrace: env["PROPERTY_TRACE"] === "1" ? (trace) => console.log(`--- run ${runCounter} ---\n${trace}`) : undefined,
            onLine: env["PROPERTY_TRACE"] === "live" ? (line) => console.log(`${Math.round(performance.now())} ${person} ${line}`) : undefined,
          });
          for (const [key, n] of counts) stats?.set(key, (stats.get(key) ?? 0) + n);
          stats?.set("runs: passed", (stats.get("runs: passed") ?? 0) + 1);
        } catch (err) {
          for (const [key, n] of (err as PropertyViolation).counts ?? []) stats?.set(key, (stats.get(key) ?? 0) + n);
          firstFailureAt ??= performance.now();
          stats?.set("runs: failed", (stats.get("runs: failed") ?? 0) + 1);
          if (!keepGoing) throw err;
          // Surveying: note the failure and go on. Before shrinking, run n is at path "n".
          const message = err instanceof Error ? err.message : String(err);
          const summary = message.split("\n--- trace")[0]!;
          failures.push({ run: generated, path: String(generated), summary });
          console.log(
            `=== run ${generated} (${person}) failed:\n${message}\nReplay: ${replayLine(seed, String(generated))}\n`,
          );
        }
      });
      const started = performance.now();
      const cpuBefore = process.cpuUsage();
      const details = await fc.check(property, {
        seed,
        numRuns: named ? 1 : numRuns,
        endOnFailure: !shrink,
        // A backstop only: every wait inside a run is bounded and says what it waited for.
        // (fc.timeout(), the plugin that replaces it, is typed Plugin<unknown> and is not accepted
        // for a typed property in this fast-check.)
        // eslint-disable-next-line @typescript-eslint/no-deprecated
        timeout: 300_000,
        // Known counterexamples first: each fails until its bug is fixed, then guards it.
        examples: named ? [] : examples,
      });
      const elapsed = Math.round(performance.now() - started);
      if (stats) {
        const cpu = process.cpuUsage(cpuBefore);
        const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
        stats.set("host processes started", environment.pool.started);
        const lines = [...stats].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `  ${key}: ${n}`);
        console.log(`${details.numRuns} runs in ${elapsed} ms (${Math.round(elapsed / Math.max(1, details.numRuns))} ms a run; this process's CPU: ${cpuMs} ms)\n${lines.join("\n")}`);
      }
      if (keepGoing && failures.length > 0) {
        const table = failures.map((f) => `  run ${f.run}: ${firstViolation(f.summary)}\n    replay: ${replayLine(seed, f.path)}`);
        expect.fail(`${failures.length} of ${details.numRuns} runs failed (seed ${seed}):\n${table.join("\n")}\n`);
      }
      if (details.failed) {
        const replay = replayLine(details.seed, (named && path) || (details.counterexamplePath ?? ""));
        const report = fc.defaultReportMessage(details) ?? "property failed";
        const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        const known = COUNTEREXAMPLES.find(({ scenario }) => JSON.stringify(scenario) === JSON.stringify(details.counterexample?.[0]));
        const which = known ? `The known counterexample "${known.name}" (counterexamples.ts) still fails.\n` : "";
        const budget = skippedWhileShrinking > 0 ? `(shrinking stopped after its ${shrinkBudgetMs / 1000} s budget; PROPERTY_SHRINK_SECONDS to give it more)\n` : "";
        expect.fail(
          `${which}${report}\n\n${error}\n\n${budget}Replay this counterexample with:\n  ${replay}\n` +
            "(or with the PROPERTY_SCENARIO line above, which still replays it after the generator changes)\n",
        );
      }
    },
    // About a second a run on an idle 2-core machine; shrinking adds at most its budget.
    Math.max(900_000, numRuns * 6_000),
  );
});

function positive(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** The first line that names a violation, for the survey's table. */
function firstViolation(summary: string): string {
  const lines = summary.split("\n");
  return (lines.find((l) => l.startsWith("- ")) ?? lines[0] ?? "").slice(0, 300);
}
