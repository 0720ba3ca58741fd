// The relay process of the convergence property: relay/main.ts's store, server and logs, with
// two differences. Accounts hash passwords cheaply and take any number of sign-ups from one
// address (every run signs up its own person from 127.0.0.1), as test/support/accounts.ts does
// in process. And the exercise library is published only with PUBLISH_LIBRARY=1: every device of
// every run would otherwise pull and keep its 18 read-only entries and read them back at the end,
// a third of a run's CPU on documents no step changes.
import { EXERCISE_LIBRARY } from "../../relay/catalog/exercise-library.js";
import { jsonLogger } from "../../relay/logger.js";
import { openStore } from "../../relay/store/index.js";
import { startTestRelay } from "../support/accounts.js";

const log = jsonLogger();
const databaseUrl = process.env["DATABASE_URL"];
if (!databaseUrl) throw new Error("DATABASE_URL is required");
const port = Number(process.env["PORT"] ?? 8080);
const host = process.env["HOST"] ?? "127.0.0.1";
const library = process.env["PUBLISH_LIBRARY"] === "1";

const started = performance.now();
const store = await openStore({ databaseUrl });
const relay = await startTestRelay({ store, port, host, log });
const libraryChanges = library ? await relay.publishExerciseLibrary(EXERCISE_LIBRARY) : 0;
log.info("relay_ready", {
  url: relay.url,
  sync_url: relay.syncUrl,
  database: "postgres",
  exercise_library: library ? `published (${libraryChanges} changes)` : "not published",
  ready_ms: Math.round(performance.now() - started),
});

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void relay.close().then(() => process.exit(0));
  });
}
