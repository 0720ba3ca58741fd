// Runs the whole suite (unit, Postgres integration, browser end-to-end) and prints the plain
// "N passed, N failed" line CI reads for counts.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";

const out = "test-results/vitest.json";
mkdirSync("test-results", { recursive: true });
const run = spawnSync(
  "npx",
  ["vitest", "run", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
  { stdio: "inherit" },
);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(out, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  };
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  skipped = report.numPendingTests + report.numTodoTests;
} catch {
  failed += 1;
}
// A file that failed to load fails the run without failing a test: count it.
if (run.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
