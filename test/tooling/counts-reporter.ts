// A Vitest reporter that ends the run with the plain line CI reads for counts:
//   N passed, N failed, N skipped
// Vitest's own summary is not a line CI can read. This reporter also owns the exit code's
// last word: the run fails on any failed test, on a file that failed without failing a test
// (it did not load, or a beforeAll/afterAll threw), on an error outside any test, and when
// no test passed at all (a run that tested nothing is not green).
import type { SerializedError } from "vitest";
import type { Reporter, TestModule, TestRunEndReason } from "vitest/node";

export interface RunCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/** Counts a finished run. Each unhandled error, and each file that failed without a failed test, counts as one failure. */
export function countRun(testModules: readonly TestModule[], unhandledErrors: readonly SerializedError[]): RunCounts {
  const counts: RunCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const testModule of testModules) {
    let failedHere = 0;
    for (const test of testModule.children.allTests()) {
      const { state } = test.result();
      if (state === "passed") counts.passed += 1;
      else if (state === "failed") failedHere += 1;
      else if (state === "skipped") counts.skipped += 1;
      // "pending": the run was interrupted before this test ran; the reason fails the run.
    }
    if (failedHere === 0 && (testModule.state() === "failed" || testModule.errors().length > 0)) failedHere = 1;
    counts.failed += failedHere;
  }
  counts.failed += unhandledErrors.length;
  return counts;
}

export function countsLine(counts: RunCounts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

export default class CountsReporter implements Reporter {
  onTestRunEnd(
    testModules: readonly TestModule[],
    unhandledErrors: readonly SerializedError[],
    reason: TestRunEndReason,
  ): void {
    const counts = countRun(testModules, unhandledErrors);
    process.stdout.write(`${countsLine(counts)}\n`);
    if (counts.failed > 0 || counts.passed === 0 || reason !== "passed") process.exitCode = 1;
  }
}
