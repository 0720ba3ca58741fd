// The counts reporter (test/tooling/counts-reporter.ts) inside a real `vitest run`, one scenario
// per run on the fixtures beside it: the line CI reads, and the exit code CI trusts.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";

const vitestBin = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
const fixturesConfig = "test/tooling/fixtures/vitest.fixtures.config.ts";

interface Run {
  code: number | null;
  /** Every line of stdout that is exactly a counts line. */
  countsLines: string[];
  output: string;
}

/** `vitest run` on the fixtures whose names match the filters, in a process of its own. */
function runFixtures(...filters: string[]): Promise<Run> {
  // The child is a fresh Vitest, not a worker of this one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("VITEST")));
  const child = spawn(process.execPath, [vitestBin, "run", "--config", fixturesConfig, ...filters], {
    env: { ...env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      const countsLines = stdout.split("\n").filter((line) => /^\d+ passed, \d+ failed, \d+ skipped$/.test(line));
      resolve({ code, countsLines, output: `${stdout}\n${stderr}` });
    });
  });
}

describe("the counts line and the exit code of vitest run", () => {
  it("all tests passing: the counts, and exit code 0", async () => {
    const run = await runFixtures("passing");
    expect(run.countsLines, run.output).toEqual(["2 passed, 0 failed, 0 skipped"]);
    expect(run.code).toBe(0);
  });

  it("a failing test is counted once and fails the run; a skipped one is counted as skipped", async () => {
    const run = await runFixtures("mixed");
    expect(run.countsLines, run.output).toEqual(["1 passed, 1 failed, 1 skipped"]);
    expect(run.code).toBe(1);
  });

  it("a file that fails to load counts as one failure beside the passing files, and fails the run", async () => {
    const run = await runFixtures("passing", "fails-to-load");
    expect(run.countsLines, run.output).toEqual(["2 passed, 1 failed, 0 skipped"]);
    expect(run.code).toBe(1);
  });

  it("a cleanup hook that throws after passing tests counts as a failure", async () => {
    const run = await runFixtures("after-all-throws");
    expect(run.countsLines, run.output).toEqual(["1 passed, 1 failed, 0 skipped"]);
    expect(run.code).toBe(1);
  });

  it("an unhandled rejection counts as a failure even when every test passed", async () => {
    const run = await runFixtures("unhandled-rejection");
    expect(run.countsLines, run.output).toEqual(["1 passed, 1 failed, 0 skipped"]);
    expect(run.code).toBe(1);
  });

  it("a run where no test passed fails: only skipped tests, or no test file at all", async () => {
    const skipped = await runFixtures("only-skipped");
    expect(skipped.countsLines, skipped.output).toEqual(["0 passed, 0 failed, 1 skipped"]);
    expect(skipped.code).toBe(1);

    const none = await runFixtures("no-fixture-has-this-name");
    expect(none.countsLines, none.output).toEqual(["0 passed, 0 failed, 0 skipped"]);
    expect(none.code).toBe(1);
  });
});
