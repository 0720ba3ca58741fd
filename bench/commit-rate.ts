// `npm run bench:commit-rate`: how many pushed workouts three relay processes on one Postgres
// commit per second with the cross-relay fan-out on (NATS by default; BENCH_FANOUT_ON=notify for
// LISTEN/NOTIFY) against the same run with it off (each relay's in-process fan-out only: the
// anchor).
//
// - Relays: three processes of their own (support/relay-main.ts: relay/main.ts's wiring, default
//   limits, the fan-out picked per run), on one fresh schema of DATABASE_URL per run.
// - Devices: BENCH_DEVICES (100), 4 per person, spread round-robin over the relays, so most of a
//   person's other devices are on another relay. Each is a protocol client (support/
//   protocol-device.ts: the device's RelaySession over a real WebSocket, signed in through the
//   relay's /auth endpoints), not a full device: the relays' work is what is measured, and the
//   devices' is kept small and the same in both modes.
// - Each device holds BENCH_WORKOUTS (5) new workouts; all push at once (one SyncRequest each,
//   then a pull, as a sync run does). The rate is acknowledged workouts over the time from the
//   first push until the last acknowledgement. Beside it: the relays' CPU time per workout (from
//   /proc: work done, apart from waiting for a core), rows really stored, and whether the fan-out
//   reached each person's other devices live (on: all of them; off: those on the same relay).
// - Modes alternate within each round, the order swapped every round (off/on, on/off, ...;
//   BENCH_ROUNDS, default 3), on a fresh schema and fresh relays each time; each round's pair ran
//   back to back, and its ratio is the fairer figure on a machine whose load moves.
// It measures; it never passes or fails on time. Writes bench/results/commit-rate.json
// (commit-rate-notify.json with BENCH_FANOUT_ON=notify).
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtRate, fmtRatio, median, ratio, table } from "./report.js";
import { Cleanup, withTimeout } from "./support/bounded.js";
import { createBenchSchema, databaseUrl, serverFacts, withAdmin } from "./support/postgres.js";
import { acknowledged, connectDevice, signInDevice, workoutCreate, type ProtocolDevice } from "./support/protocol-device.js";
import { startBenchRelay, type BenchRelayProcess } from "./support/relay-process.js";
import type { AuthSession } from "../client/core/index.js";
import type { SyncItemInit } from "../client/core/transport/relay-session.js";

const DEVICES = Number(process.env["BENCH_DEVICES"] ?? 100);
const DEVICES_PER_PERSON = 4;
const RELAYS = 3;
const WORKOUTS = Number(process.env["BENCH_WORKOUTS"] ?? 5);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);
/** Sign-ins and connections in flight at once while setting up. */
const SETUP_PARALLEL = 16;
/** Workouts each relay takes before the clock starts (a fresh process compiles its hot path on them). */
const WARMUP_WORKOUTS = 10;
const WAIT_MS = 300_000;
/** How long the fan-out may take to reach every device once the last push was acknowledged. */
const DELIVERY_WAIT_MS = 60_000;
const onBackbone = process.env["BENCH_FANOUT_ON"] === "notify" ? "notify" : "nats";
const backboneName = onBackbone === "nats" ? "NATS" : "LISTEN/NOTIFY";

type Mode = "off" | "on";

interface RunResult {
  mode: Mode;
  round: number;
  workouts: number;
  seconds: number;
  rate: number;
  /** Until every device's pull after its push was answered too. */
  syncSeconds: number;
  relayCpuMsPerWorkout: number;
  /** The bench process (all the protocol devices) over the same window: it shares the cores. */
  devicesCpuMsPerWorkout: number;
  rowsStored: number;
  fanout: { expected: number; delivered: number; completeAfterMs: number | undefined };
  setupSeconds: { relays: number; signIn: number; connect: number };
  loadavg: { before: number; after: number };
}

/** fn over items, at most `limit` at once; results in the items' order. */
async function parallel<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const seconds = (from: number) => (performance.now() - from) / 1000;
const person = (d: number) => Math.floor(d / DEVICES_PER_PERSON);
const relayOf = (d: number) => d % RELAYS;

/** The device indices whose workouts device d must get live: its person's others (on), or those on its relay (off). */
function liveSources(d: number, mode: Mode): number[] {
  const sources: number[] = [];
  for (let o = person(d) * DEVICES_PER_PERSON; o < Math.min(DEVICES, (person(d) + 1) * DEVICES_PER_PERSON); o++) {
    if (o !== d && (mode === "on" || relayOf(o) === relayOf(d))) sources.push(o);
  }
  return sources;
}

async function run(mode: Mode, round: number): Promise<RunResult> {
  const cleanup = new Cleanup();
  const loadBefore = loadavg()[0]!;
  try {
    const schema = await createBenchSchema();
    cleanup.add("schema", () => schema.drop());
    const url = new URL(databaseUrl);
    url.searchParams.set("options", `-c search_path=${schema.name}`);

    let t = performance.now();
    const relays: BenchRelayProcess[] = await Promise.all(
      Array.from({ length: RELAYS }, async (_, r) => {
        const relay = await startBenchRelay({ databaseUrl: url.toString(), fanout: mode === "on" ? onBackbone : "off", natsPrefix: `bench.${schema.name}` });
        cleanup.add(`relay ${r}`, () => relay.stop());
        return relay;
      }),
    );
    const relaysSeconds = seconds(t);

    // Accounts in a batch: each person signs up once (first device), then the rest sign in, many at once.
    t = performance.now();
    const indices = Array.from({ length: DEVICES }, (_, d) => d);
    const label = (d: number) => `commit-rate-person-${person(d)}`;
    const sessions: AuthSession[] = new Array<AuthSession>(DEVICES);
    const firsts = indices.filter((d) => d % DEVICES_PER_PERSON === 0);
    const others = indices.filter((d) => d % DEVICES_PER_PERSON !== 0);
    await parallel(firsts, SETUP_PARALLEL, async (d) => (sessions[d] = await signInDevice(relays[relayOf(d)]!.syncUrl, label(d), `device-${d}`, true)));
    await parallel(others, SETUP_PARALLEL, async (d) => (sessions[d] = await signInDevice(relays[relayOf(d)]!.syncUrl, label(d), `device-${d}`, false)));
    const signInSeconds = seconds(t);

    t = performance.now();
    const devices: ProtocolDevice[] = await parallel(indices, SETUP_PARALLEL, async (d) => {
      const device = await connectDevice(relays[relayOf(d)]!.syncUrl, `device-${d}`, sessions[d]!, WAIT_MS);
      cleanup.add(`device ${d}`, () => device.close());
      await device.pull(); // the first sync run's pull: the device is now current and listening
      return device;
    });
    const connectSeconds = seconds(t);

    // Warm-up, unmeasured: each fresh relay process takes a few pushes (from a person of its own
    // with a device on every relay, so the fan-out path warms too) before the clock starts.
    const warmSessions: AuthSession[] = [];
    for (const [r, relay] of relays.entries()) warmSessions.push(await signInDevice(relay.syncUrl, "commit-rate-warm-up", `warm-up-${r}`, r === 0));
    const warmDevices = await parallel(relays, RELAYS, async (relay, r) => {
      const device = await connectDevice(relay.syncUrl, `warm-up-${r}`, warmSessions[r]!, WAIT_MS);
      cleanup.add(`warm-up device ${r}`, () => device.close());
      return device;
    });
    for (const [r, device] of warmDevices.entries()) {
      const warm = Array.from({ length: WARMUP_WORKOUTS }, (_, w) => workoutCreate(DEVICES * WORKOUTS + r * WARMUP_WORKOUTS + w, device.session.deviceId, device.name, Date.now()));
      const result = acknowledged(await withTimeout(device.push(warm), WAIT_MS, `warm-up on relay ${r}`));
      if (result.firstFailure) throw new Error(`warm-up on relay ${r}: ${result.firstFailure}`);
      await device.pull();
    }

    // Made offline, before the clock starts: each device's workouts, as Automerge documents.
    const now = Date.now();
    const items: SyncItemInit[][] = devices.map((device, d) =>
      Array.from({ length: WORKOUTS }, (_, w) => workoutCreate(d * WORKOUTS + w, device.session.deviceId, device.name, now)),
    );
    const expected = devices.map((_, d) => liveSources(d, mode).flatMap((o) => items[o]!.map((item) => item.entityId!)));
    const expectedTotal = expected.reduce((n, ids) => n + ids.length, 0);
    const missing = () => devices.reduce((n, device, d) => n + expected[d]!.filter((id) => !device.received.has(id)).length, 0);
    let deliveredAt: number | undefined;
    const delivered = new Promise<void>((resolve) => {
      const check = () => {
        if (deliveredAt === undefined && missing() === 0) {
          deliveredAt = performance.now();
          resolve();
        }
      };
      for (const device of devices) device.onReceived(check);
      check();
    });

    const cpuBefore = relays.reduce((ms, relay) => ms + relay.cpuMs(), 0);
    const benchCpuBefore = process.cpuUsage();
    const start = performance.now();
    let lastAck = start;
    let ok = 0;
    const failures: string[] = [];
    await withTimeout(
      Promise.all(
        devices.map(async (device, d) => {
          const result = acknowledged(await device.push(items[d]!));
          lastAck = Math.max(lastAck, performance.now());
          ok += result.ok;
          if (result.firstFailure) failures.push(`${device.name}: ${result.firstFailure}`);
          await device.pull();
        }),
      ),
      WAIT_MS,
      `${mode}: every device pushing`,
    );
    const synced = performance.now();
    const relayCpuMs = relays.reduce((ms, relay) => ms + relay.cpuMs(), 0) - cpuBefore;
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const total = DEVICES * WORKOUTS;
    if (ok !== total) throw new Error(`${mode}: ${ok} of ${total} workouts acknowledged; ${failures.slice(0, 3).join("; ")}`);
    const rowsStored = await withAdmin(async (admin) =>
      Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema.name}.entities WHERE entity_type = 'workout' AND user_id <> $1`, [warmSessions[0]!.userId])).rows[0]!.n),
    );
    if (rowsStored !== total) throw new Error(`${mode}: ${rowsStored} workout rows stored, ${total} acknowledged`);
    await withTimeout(delivered, DELIVERY_WAIT_MS, "fan-out reaching every device").catch(() => undefined);

    const result: RunResult = {
      mode,
      round,
      workouts: ok,
      seconds: (lastAck - start) / 1000,
      rate: ok / ((lastAck - start) / 1000),
      syncSeconds: (synced - start) / 1000,
      relayCpuMsPerWorkout: relayCpuMs / ok,
      devicesCpuMsPerWorkout: (benchCpu.user + benchCpu.system) / 1000 / ok,
      rowsStored,
      fanout: { expected: expectedTotal, delivered: expectedTotal - missing(), completeAfterMs: deliveredAt === undefined ? undefined : deliveredAt - start },
      setupSeconds: { relays: relaysSeconds, signIn: signInSeconds, connect: connectSeconds },
      loadavg: { before: loadBefore, after: loadavg()[0]! },
    };
    process.stdout.write(
      `round ${round}, fan-out ${mode}: ${ok} workouts in ${result.seconds.toFixed(2)} s = ${fmtRate(result.rate)}; ` +
        `relay CPU ${result.relayCpuMsPerWorkout.toFixed(2)} ms/workout (devices ${result.devicesCpuMsPerWorkout.toFixed(2)}); live fan-out ${result.fanout.delivered}/${result.fanout.expected}` +
        `${deliveredAt === undefined ? "" : ` by ${(deliveredAt - start).toFixed(0)} ms`}; ` +
        `setup: relays ${relaysSeconds.toFixed(1)} s, sign-in ${signInSeconds.toFixed(1)} s, connect ${connectSeconds.toFixed(1)} s; ` +
        `load ${loadBefore.toFixed(1)} -> ${result.loadavg.after.toFixed(1)}\n`,
    );
    return result;
  } finally {
    const failures = await cleanup.run(20_000);
    for (const failure of failures) process.stderr.write(`cleanup: ${failure}\n`);
  }
}

const facts = await serverFacts();
process.stdout.write(
  `commit rate: ${DEVICES} devices (${Math.ceil(DEVICES / DEVICES_PER_PERSON)} people) over ${RELAYS} relay processes, ${WORKOUTS} workouts each; ` +
    `fan-out on = ${backboneName}; Postgres ${facts.version} (fsync ${facts.fsync}); load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}\n`,
);
const runs: RunResult[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const order: Mode[] = round % 2 === 0 ? ["off", "on"] : ["on", "off"];
  for (const mode of order) runs.push(await run(mode, round));
}
const of = (mode: Mode) => runs.filter((r) => r.mode === mode);
const off = median(of("off").map((r) => r.rate));
const on = median(of("on").map((r) => r.rate));
const cpuOff = median(of("off").map((r) => r.relayCpuMsPerWorkout));
const cpuOn = median(of("on").map((r) => r.relayCpuMsPerWorkout));
const byRound = (mode: Mode, round: number) => runs.find((r) => r.mode === mode && r.round === round)!;
const pairedRatios = Array.from({ length: ROUNDS }, (_, round) => ratio(byRound("on", round).rate, byRound("off", round).rate));
process.stdout.write(`\ncommit rate, ${DEVICES} devices over ${RELAYS} relay processes, ${WORKOUTS} workouts each, fan-out on ${backboneName}\n`);
process.stdout.write(
  `${table(
    ["fan-out", "runs (workouts/s)", "median", "relay CPU ms/workout (median)", "live fan-out delivered"],
    [
      ["off (anchor)", of("off").map((r) => r.rate.toFixed(1)).join(", "), fmtRate(off), cpuOff.toFixed(2), of("off").map((r) => `${r.fanout.delivered}/${r.fanout.expected}`).join(", ")],
      [`on (${backboneName})`, of("on").map((r) => r.rate.toFixed(1)).join(", "), fmtRate(on), cpuOn.toFixed(2), of("on").map((r) => `${r.fanout.delivered}/${r.fanout.expected}`).join(", ")],
      ["on / off", `paired by round: ${pairedRatios.map(fmtRatio).join(", ")}`, fmtRatio(ratio(on, off)), fmtRatio(ratio(cpuOn, cpuOff)), ""],
    ],
  )}\n`,
);
const out = join(dirname(fileURLToPath(import.meta.url)), "results", onBackbone === "nats" ? "commit-rate.json" : "commit-rate-notify.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      measuredAt: new Date().toISOString(),
      devices: DEVICES,
      devicesPerPerson: DEVICES_PER_PERSON,
      relays: RELAYS,
      relayProcesses: true,
      deviceKind: "protocol client (RelaySession over WebSocket)",
      workoutsPerDevice: WORKOUTS,
      backbone: backboneName,
      postgres: facts,
      runs,
      medianOff: off,
      medianOn: on,
      ratioOnOff: ratio(on, off),
      pairedRatios,
      relayCpuMsPerWorkout: { off: cpuOff, on: cpuOn, ratioOnOff: ratio(cpuOn, cpuOff) },
      target: "ratioOnOff >= 0.9",
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`written to ${out}\n`);
