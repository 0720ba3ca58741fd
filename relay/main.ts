// `npm start`: the relay and the web app on one port. With DATABASE_URL it uses that Postgres;
// without, PGlite in a data folder (IRONFLOW_DATA_DIR, default ./data), same SQL.
// Fan-out to devices on other relay processes: over NATS when NATS_URL is set, else over
// LISTEN/NOTIFY on that Postgres; with PGlite (one process) within this process.
import { existsSync, readFileSync } from "node:fs";
import { EXERCISE_LIBRARY } from "./catalog/exercise-library.js";
import { systemClock } from "./clock.js";
import { openCrossRelayFanout } from "./backbone/cross-relay-fanout.js";
import { openNatsBackbone } from "./backbone/nats-backbone.js";
import { openPgNotifyBackbone } from "./backbone/pg-notify-backbone.js";
import { InProcessFanout, type Fanout } from "./fanout.js";
import { jsonLogger } from "./logger.js";
import { startRelay } from "./server.js";
import { openStore } from "./store/index.js";

const clock = systemClock;
const log = jsonLogger(undefined, clock);
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.IRONFLOW_DATA_DIR ?? "data";
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? "127.0.0.1";
const appDir = existsSync("dist/index.html") ? "dist" : undefined;
// TLS_CERT and TLS_KEY: paths of a PEM certificate and key; then the relay serves https and wss.
const tlsCert = process.env.TLS_CERT;
const tlsKey = process.env.TLS_KEY;
const tls = tlsCert && tlsKey ? { cert: readFileSync(tlsCert), key: readFileSync(tlsKey) } : undefined;
const natsUrl = process.env.NATS_URL || undefined;
// FANOUT_CHECK_MS: how often the relay checks connected people's cursors for changes whose poke was lost.
const cursorCheckMs = Number(process.env.FANOUT_CHECK_MS ?? 5000);

const started = clock.now();
const store = await openStore(databaseUrl ? { databaseUrl } : { dataDir });
const crossRelay = { store, clock, log, cursorCheckMs };
const crossRelayFanout = natsUrl
  ? await openCrossRelayFanout((handlers) => openNatsBackbone({ url: natsUrl, clock, log }, handlers), crossRelay)
  : databaseUrl
    ? await openCrossRelayFanout((handlers) => openPgNotifyBackbone({ connectionString: databaseUrl, clock, log }, handlers), crossRelay)
    : undefined;
const fanout: Fanout & { close?: () => Promise<void> } = crossRelayFanout ?? new InProcessFanout();
// /readyz also says whether the other relays can be reached (NATS, or LISTEN/NOTIFY).
const readinessChecks = crossRelayFanout ? [crossRelayFanout.readinessCheck(natsUrl ? "nats" : "postgres-notify")] : [];
const relay = await startRelay({ store, port, host, appDir, log, clock, fanout, readinessChecks, ...(tls ? { tls } : {}) });
const libraryChanges = await relay.publishExerciseLibrary(EXERCISE_LIBRARY);
log.info("relay_ready", {
  url: relay.url,
  sync_url: relay.syncUrl,
  database: databaseUrl ? "postgres" : `pglite:${dataDir}`,
  fanout: natsUrl ? "nats" : databaseUrl ? "postgres-notify" : "in-process",
  app: appDir ? "served" : "not built (run npm run build)",
  exercise_library_changes: libraryChanges,
  ready_ms: clock.now() - started,
  // Since the process started (module loading included), for the start bench (bench/start.ts).
  process_cpu_ms: Math.round(cpuMs()),
  process_uptime_ms: Math.round(process.uptime() * 1000),
  rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
});

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// SIGTERM (a rolling restart): drain, so no device loses an answer and each reconnects at once
// to another relay; DRAIN_BOUND_MS bounds it. SIGINT (Ctrl-C): the same.
const drainBoundMs = Number(process.env.DRAIN_BOUND_MS ?? 10_000);
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    // Whatever hangs past the bound (a store that never closes), the process still ends.
    clock.setTimeout(() => {
      log.error("relay_stop_overran", { bound_ms: drainBoundMs });
      process.exit(1);
    }, drainBoundMs + 5_000);
    void relay
      .drain(drainBoundMs)
      .then(async (report) => {
        await fanout.close?.();
        log.info("relay_stopped", { signal, ...report });
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error("relay_stop_failed", { signal, error: String(err) });
        process.exit(1);
      });
  });
}
