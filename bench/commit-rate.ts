// `npm run bench:commit-rate`: how many pushed workouts three relays on one Postgres commit per
// second with the cross-relay fan-out on (LISTEN/NOTIFY, or NATS when NATS_URL is set) against
// the same run with it off (each relay's in-process fan-out only: the anchor). 100 devices, 25
// people with 4 devices each, spread round-robin over the relays, so most of a person's other
// devices are on another relay. Each device saves BENCH_WORKOUTS workouts offline, then all push
// at once; the rate is acknowledged workouts over the time from the first push until the last
// device's push was acknowledged. Modes alternate (off, on, off, on, ...; BENCH_ROUNDS each) on a
// fresh schema each time, and the medians are compared. Relays and devices share this process:
// the devices' work applying the fan-out counts against the rate, in both modes alike.
// It measures; it never passes or fails on time. Writes bench/results/commit-rate.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IronFlowClient } from "../client/core/index.js";
import { openNodeClient } from "../client/node/open-node-client.js";
import { openCrossRelayFanout } from "../relay/backbone/cross-relay-fanout.js";
import { openNatsBackbone } from "../relay/backbone/nats-backbone.js";
import { openPgNotifyBackbone } from "../relay/backbone/pg-notify-backbone.js";
import { systemClock } from "../relay/clock.js";
import { InProcessFanout, type Fanout } from "../relay/fanout.js";
import { silentLogger } from "../relay/logger.js";
import { startRelay, type Relay } from "../relay/server.js";
import { openStore } from "../relay/store/index.js";
import { BENCH_FRAMES_PER_SECOND } from "./relay-pair.js";
import { fmtRate, fmtRatio, median, ratio, table } from "./report.js";
import { BENCH_AUTH, benchAccount } from "./support/account.js";
import { Cleanup, withTimeout } from "./support/bounded.js";
import { createBenchSchema, databaseUrl } from "./support/postgres.js";
import { tempFolders } from "./support/temp.js";
import { benchWorkout } from "./workload.js";

const DEVICES = Number(process.env["BENCH_DEVICES"] ?? 100);
const DEVICES_PER_PERSON = 4;
const RELAYS = 3;
const WORKOUTS = Number(process.env["BENCH_WORKOUTS"] ?? 5);
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 2);
const WAIT_MS = 300_000;
const natsUrl = process.env["NATS_URL"] || undefined;
const backbone = natsUrl ? "NATS" : "LISTEN/NOTIFY";

type Mode = "off" | "on";

/** One run: acknowledged workouts per second, all devices pushing at once. */
async function run(mode: Mode, round: number): Promise<number> {
  const cleanup = new Cleanup();
  try {
    const schema = await createBenchSchema();
    cleanup.add("schema", () => schema.drop());
    const url = new URL(databaseUrl);
    url.searchParams.set("options", `-c search_path=${schema.name}`);
    const folders = tempFolders(cleanup);
    const relays: Relay[] = [];
    for (let r = 0; r < RELAYS; r++) {
      const store = await openStore({ databaseUrl, pg: { searchPath: schema.name } });
      const crossRelay =
        mode === "on"
          ? await openCrossRelayFanout(
              (handlers) =>
                natsUrl
                  ? openNatsBackbone({ url: natsUrl, clock: systemClock, log: silentLogger, prefix: `bench.${schema.name}` }, handlers)
                  : openPgNotifyBackbone({ connectionString: url.toString(), clock: systemClock, log: silentLogger }, handlers),
              { store, clock: systemClock, log: silentLogger },
            )
          : undefined;
      const fanout: Fanout = crossRelay ?? new InProcessFanout();
      const relay = await startRelay({ store, fanout, port: 0, limits: { framesPerSecond: BENCH_FRAMES_PER_SECOND }, auth: BENCH_AUTH });
      cleanup.add(`relay ${r}`, async () => {
        await relay.close();
        await crossRelay?.close();
      });
      relays.push(relay);
    }
    const devices: IronFlowClient[] = [];
    for (let d = 0; d < DEVICES; d++) {
      const name = `device-${d}`;
      const client = await openNodeClient({
        dataDir: folders.make(name),
        relayUrl: relays[d % RELAYS]!.syncUrl,
        account: benchAccount(`commit-rate-${round}-${mode}-person-${Math.floor(d / DEVICES_PER_PERSON)}`),
        deviceName: name,
        requestTimeoutMs: WAIT_MS,
        syncOnChange: false,
      });
      cleanup.add(name, () => client.close());
      await withTimeout(client.syncNow(), WAIT_MS, `${name} connecting`);
      for (let w = 0; w < WORKOUTS; w++) await client.create("workout", benchWorkout(d * WORKOUTS + w));
      devices.push(client);
    }
    const start = performance.now();
    await withTimeout(Promise.all(devices.map((client) => client.syncNow())), WAIT_MS, `${mode}: every device pushing`);
    const seconds = (performance.now() - start) / 1000;
    const acknowledged = devices.reduce((n, client) => n + client.queueItems().filter((q) => q.status === "synced").length, 0);
    if (acknowledged !== DEVICES * WORKOUTS) throw new Error(`${mode}: ${acknowledged} of ${DEVICES * WORKOUTS} workouts acknowledged`);
    const rate = acknowledged / seconds;
    process.stdout.write(`round ${round}, fan-out ${mode}: ${acknowledged} workouts in ${seconds.toFixed(2)} s = ${fmtRate(rate)}\n`);
    return rate;
  } finally {
    const failures = await cleanup.run();
    for (const failure of failures) process.stderr.write(`cleanup: ${failure}\n`);
  }
}

const rates: Record<Mode, number[]> = { off: [], on: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of ["off", "on"] as const) rates[mode].push(await run(mode, round));
}
const off = median(rates.off);
const on = median(rates.on);
// Each round's pair ran back to back: on a machine whose load moves, its ratio is the fairer one.
const pairedRatios = rates.on.map((rate, round) => ratio(rate, rates.off[round]));
process.stdout.write(`\ncommit rate, ${DEVICES} devices (${DEVICES / DEVICES_PER_PERSON} people) over ${RELAYS} relays, ${WORKOUTS} workouts each, fan-out on ${backbone}\n`);
process.stdout.write(
  `${table(
    ["fan-out", "runs (workouts/s)", "median"],
    [
      ["off (anchor)", rates.off.map((r) => r.toFixed(1)).join(", "), fmtRate(off)],
      [`on (${backbone})`, rates.on.map((r) => r.toFixed(1)).join(", "), fmtRate(on)],
      ["on / off", pairedRatios.map(fmtRatio).join(", "), fmtRatio(ratio(on, off))],
    ],
  )}\n`,
);
const out = join(dirname(fileURLToPath(import.meta.url)), "results", "commit-rate.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ devices: DEVICES, devicesPerPerson: DEVICES_PER_PERSON, relays: RELAYS, workoutsPerDevice: WORKOUTS, backbone, ratesPerSecond: rates, medianOff: off, medianOn: on, ratioOnOff: ratio(on, off), pairedRatios, target: ">= 0.9" }, null, 2)}\n`,
);
process.stdout.write(`written to ${out}\n`);
