// A relay process for the benches: relay/main.ts's wiring (openStore on DATABASE_URL, the
// cross-relay fan-out, startRelay with the default limits) with two differences a bench needs,
// each the same whatever it compares:
// - BENCH_FANOUT picks the fan-out: "nats" (NATS_URL, subjects under BENCH_NATS_PREFIX so runs
//   sharing the machine's server never hear each other), "notify" (LISTEN/NOTIFY on the same
//   Postgres) or "off" (this process's in-process fan-out only: the anchor). relay/main.ts has no
//   "off": with a DATABASE_URL it always fans out across relays.
// - cheap password hashing (BENCH_AUTH): a run signs in a hundred devices; the bench measures
//   sync, not sign-in.
// It logs nothing but one JSON line when ready ({"event":"relay_ready","sync_url":...}), so
// logging costs neither mode anything. PORT (default 0: any free port).
import { systemClock } from "../../relay/clock.js";
import { openCrossRelayFanout } from "../../relay/backbone/cross-relay-fanout.js";
import { openNatsBackbone } from "../../relay/backbone/nats-backbone.js";
import { openPgNotifyBackbone } from "../../relay/backbone/pg-notify-backbone.js";
import { InProcessFanout, type Fanout } from "../../relay/fanout.js";
import { silentLogger } from "../../relay/logger.js";
import { startRelay } from "../../relay/server.js";
import { openStore } from "../../relay/store/index.js";
import { BENCH_AUTH } from "./account.js";

export type BenchFanout = "off" | "nats" | "notify";

const databaseUrl = process.env["DATABASE_URL"];
if (!databaseUrl) throw new Error("bench relay: DATABASE_URL is required");
const mode = (process.env["BENCH_FANOUT"] ?? "off") as BenchFanout;
if (!["off", "nats", "notify"].includes(mode)) throw new Error(`bench relay: BENCH_FANOUT=${mode}: expected off, nats or notify`);
const natsUrl = process.env["NATS_URL"] || "nats://127.0.0.1:4222";
const prefix = process.env["BENCH_NATS_PREFIX"] || "bench.fanout";
const cursorCheckMs = Number(process.env["FANOUT_CHECK_MS"] ?? 5000);
const clock = systemClock;
const log = silentLogger;

const store = await openStore({ databaseUrl });
const crossRelay = { store, clock, log, cursorCheckMs };
const crossRelayFanout =
  mode === "nats"
    ? await openCrossRelayFanout((handlers) => openNatsBackbone({ url: natsUrl, clock, log, prefix }, handlers), crossRelay)
    : mode === "notify"
      ? await openCrossRelayFanout((handlers) => openPgNotifyBackbone({ connectionString: databaseUrl, clock, log }, handlers), crossRelay)
      : undefined;
const fanout: Fanout = crossRelayFanout ?? new InProcessFanout();
const relay = await startRelay({ store, fanout, port: Number(process.env["PORT"] ?? 0), host: "127.0.0.1", log, clock, auth: BENCH_AUTH });
process.stdout.write(`${JSON.stringify({ event: "relay_ready", sync_url: relay.syncUrl, fanout: mode })}\n`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void relay
      .drain(5_000)
      .then(() => crossRelayFanout?.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`bench relay: stop failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
  });
}
