import { defineConfig } from "vitest/config";
import CountsReporter from "./test/tooling/counts-reporter.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start relays and databases; give them room, never use time to synchronise.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One file at a time (Vitest's default on the 2-core CI machine). Two at a time, the property
    // test first beside the rest, cut the run by a third, and the load found timings the property
    // alone had not (a set reaching a device between its read of a workout and its delete, now
    // recorded: never-lose-a-set's "reached meanwhile" case). CI runs once; the search under load
    // is done on purpose (the property beside other files, PROPERTY_KEEP_GOING), not in CI.
    // Made once per run before any file starts: the PGlite template (an initdb in every process
    // slowed files running beside the property test past their timeouts) and the relay build the
    // fault tests start (dist-relay, as `npm start` runs it).
    globalSetup: ["test/support/global-setup.ts"],
    // Vitest's summary, then the plain "N passed, N failed, N skipped" line CI reads for counts.
    reporters: ["default", new CountsReporter()],
  },
});
