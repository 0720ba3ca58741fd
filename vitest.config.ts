import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import CountsReporter from "./test/tooling/counts-reporter.js";

/** The 200-run convergence property: alone about a third of the whole run's time. */
const PROPERTY_TEST = "test/property/convergence.pg.test.ts";

/**
 * Vitest's order (by earlier durations, else by file size), but the property test first, so it
 * starts at once on one worker while the other files go through the other worker(s) beside it,
 * instead of ending the run alone or leaving a worker idle behind it.
 */
class PropertyTestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isProperty = (spec: TestSpecification) => spec.moduleId.endsWith(PROPERTY_TEST);
    return [...sorted.filter(isProperty), ...sorted.filter((spec) => !isProperty(spec))];
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start relays and databases; give them room, never use time to synchronise.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two files at a time, whatever the cores (Vitest's default on the 2-core CI machine is one):
    // most files spend their time waiting on relay and device processes, Postgres, sockets and
    // Chromium, so one at a time left a core idle for most of the run. (Not projects: Vitest runs
    // projects of different groupOrder one after another, and one group shares one maxWorkers.)
    maxWorkers: 2,
    sequence: { sequencer: PropertyTestFirst },
    // Made once per run before any file starts: the PGlite template (an initdb in every process
    // slowed files running beside the property test past their timeouts) and the relay build the
    // fault tests start (dist-relay, as `npm start` runs it).
    globalSetup: ["test/support/global-setup.ts"],
    // Vitest's summary, then the plain "N passed, N failed, N skipped" line CI reads for counts.
    reporters: ["default", new CountsReporter()],
  },
});
