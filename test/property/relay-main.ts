// relay/main.ts as the convergence property runs it: the same store, server and logs, without
// publishing the exercise library. Every device of every run would otherwise pull and keep its
// 18 read-only entries, and read them back at the end: a third of a run's CPU, on documents no
// step changes. PROPERTY_LIBRARY=1 runs relay/main.ts itself.
import { jsonLogger } from "../../relay/logger.js";
import { startRelay } from "../../relay/server.js";
import { openStore } from "../../relay/store/index.js";

const log = jsonLogger();
const databaseUrl = process.env["DATABASE_URL"];
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const port = Number(process.env["PORT"] ?? 8080);
const host = process.env["HOST"] ?? "127.0.0.1";

const started = performance.now();
const store = await openStore({ databaseUrl });
const relay = await startRelay({ store, port, host, log });
log.info("relay_ready", { url: relay.url, sync_url: relay.syncUrl, database: "postgres", exercise_library: "not published", ready_ms: Math.round(performance.now() - started) });

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void relay.close().then(() => process.exit(0));
  });
}
