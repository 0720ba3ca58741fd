// `npm run bench:relays`: edit-to-other-device latency across relay processes' fan-out versus
// within one relay. Two relays (startRelay) on one Postgres schema, each with the cross-relay
// fan-out (LISTEN/NOTIFY, or NATS when NATS_URL is set); device A and device B on relay 1,
// device C on relay 2. A adds a set K times; one sample is A's update() call until B (same
// relay) or C (other relay) reads the new set. Both are measured on the same edits, so the
// ratio compares like with like. It measures; it never passes or fails on time. Writes
// bench/results/cross-relay.json (cross-relay-nats.json when NATS_URL is set).
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IronFlowClient } from "../client/core/index.js";
import { openNodeClient } from "../client/node/open-node-client.js";
import { openCrossRelayFanout, type CrossRelayFanout } from "../relay/backbone/cross-relay-fanout.js";
import { openNatsBackbone } from "../relay/backbone/nats-backbone.js";
import { openPgNotifyBackbone } from "../relay/backbone/pg-notify-backbone.js";
import { systemClock } from "../relay/clock.js";
import { silentLogger } from "../relay/logger.js";
import { startRelay, type Relay } from "../relay/server.js";
import { openStore } from "../relay/store/index.js";
import { BENCH_FRAMES_PER_SECOND } from "./relay-pair.js";
import { fmtMs, fmtRatio, latencyStats, ratio, table } from "./report.js";
import { BENCH_AUTH, benchAccount } from "./support/account.js";
import { Cleanup, observe, withTimeout } from "./support/bounded.js";
import { createBenchSchema, databaseUrl } from "./support/postgres.js";
import { tempFolders } from "./support/temp.js";
import { addedSet, benchWorkout, countSets } from "./workload.js";

const K = Number(process.env["BENCH_K"] ?? 100);
const WAIT_MS = 20_000;
const natsUrl = process.env["NATS_URL"] || undefined;

const cleanup = new Cleanup();
const loadBefore = loadavg()[0]!;
try {
  const schema = await createBenchSchema();
  cleanup.add("schema", () => schema.drop());
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${schema.name}`);
  const folders = tempFolders(cleanup);

  const relay = async (name: string): Promise<Relay> => {
    const store = await openStore({ databaseUrl, pg: { searchPath: schema.name } });
    const options = { store, clock: systemClock, log: silentLogger };
    const fanout: CrossRelayFanout = await openCrossRelayFanout(
      (handlers) =>
        natsUrl
          ? openNatsBackbone({ url: natsUrl, clock: systemClock, log: silentLogger, prefix: `bench.${schema.name}` }, handlers)
          : openPgNotifyBackbone({ connectionString: url.toString(), clock: systemClock, log: silentLogger }, handlers),
      options,
    );
    const started = await startRelay({ store, fanout, port: 0, limits: { framesPerSecond: BENCH_FRAMES_PER_SECOND }, auth: BENCH_AUTH });
    cleanup.add(`relay ${name}`, async () => {
      await started.close();
      await fanout.close();
    });
    return started;
  };
  const device = async (name: string, on: Relay): Promise<IronFlowClient> => {
    const client = await openNodeClient({ dataDir: folders.make(name), relayUrl: on.syncUrl, account: benchAccount("cross-relay"), deviceName: name, requestTimeoutMs: WAIT_MS });
    cleanup.add(`device ${name}`, async () => {
      await withTimeout(client.syncNow(), 10_000, `device ${name} settling`).catch(() => undefined);
      await client.close();
    });
    await withTimeout(client.syncNow(), WAIT_MS, `device ${name} connecting`);
    return client;
  };

  const one = await relay("1");
  const two = await relay("2");
  const a = await device("a", one);
  const b = await device("b", one);
  const c = await device("c", two);
  const id = await a.create("workout", benchWorkout(0));
  await withTimeout(a.syncNow(), WAIT_MS, "A pushing the workout");
  const sets = async (client: IronFlowClient) => countSets((await client.get<"workout">(id))?.payload);
  await observe(b, async () => (await sets(b)) >= 0, WAIT_MS, "B having the workout");
  await observe(c, async () => (await sets(c)) >= 0, WAIT_MS, "C having the workout");

  const same: number[] = [];
  const cross: number[] = [];
  let expected = await sets(a);
  for (let i = 0; i < K; i++) {
    const { exercise, set } = addedSet(i);
    const target = ++expected;
    const sawB = observe(b, async () => (await sets(b)) === target, WAIT_MS, `B seeing edit ${i}`);
    const sawC = observe(c, async () => (await sets(c)) === target, WAIT_MS, `C seeing edit ${i}`);
    const start = performance.now();
    await a.update<"workout">(id, (w) => {
      w.exercises[exercise]!.sets.push(set);
    });
    same.push((await sawB) - start);
    cross.push((await sawC) - start);
  }
  const s = latencyStats(same);
  const x = latencyStats(cross);
  console.log(`cross-relay fan-out on ${natsUrl ? "NATS" : "LISTEN/NOTIFY"}, ${K} edits, one process (devices and both relays)`);
  console.log(
    table(
      ["edit reaches", "p50", "p99", "mean"],
      [
        ["B, same relay", fmtMs(s.p50), fmtMs(s.p99), fmtMs(s.mean)],
        ["C, other relay", fmtMs(x.p50), fmtMs(x.p99), fmtMs(x.mean)],
        ["ratio", fmtRatio(ratio(x.p50, s.p50)), fmtRatio(ratio(x.p99, s.p99)), ""],
      ],
    ),
  );
  const loadAfter = loadavg()[0]!;
  console.log(`load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`);
  const out = join(dirname(fileURLToPath(import.meta.url)), "results", natsUrl ? "cross-relay-nats.json" : "cross-relay.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        backbone: natsUrl ? "NATS" : "LISTEN/NOTIFY",
        edits: K,
        sameRelayMs: s,
        otherRelayMs: x,
        ratioP50: ratio(x.p50, s.p50),
        ratioP99: ratio(x.p99, s.p99),
        loadavg: { before: loadBefore, after: loadAfter },
        target: "ratioP50 <= 2 and ratioP99 <= 2",
      },
      null,
      2,
    )}\n`,
  );
  console.log(`written to ${out}`);
} finally {
  await cleanup.run();
}
