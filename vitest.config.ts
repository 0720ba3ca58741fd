import { defineConfig } from "vitest/config";
import CountsReporter from "./test/tooling/counts-reporter.js";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start relays and databases; give them room, never use time to synchronise.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Vitest's summary, then the plain "N passed, N failed, N skipped" line CI reads for counts.
    reporters: ["default", new CountsReporter()],
  },
});
