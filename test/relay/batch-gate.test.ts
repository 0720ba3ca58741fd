// The relay's process-wide gate on sync batches (relay/batch-gate.ts): at most `limit` at work,
// the rest in arrival order, and a failed batch still hands its turn on.
import { describe, expect, it } from "vitest";
import { BatchGate } from "../../relay/batch-gate.js";

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets every promise callback that is ready run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

describe("BatchGate", () => {
  it("runs at most limit batches at once, the others in arrival order as turns free up", async () => {
    const gate = new BatchGate(2);
    const started: number[] = [];
    const finish = Array.from({ length: 5 }, deferred);
    const runs = finish.map((f, i) =>
      gate.run(async () => {
        started.push(i);
        await f.promise;
        return i;
      }),
    );
    await settle();
    expect(started).toEqual([0, 1]);
    expect(gate.load).toEqual({ active: 2, waiting: 3 });
    finish[1]!.resolve();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    finish[0]!.reject(new Error("a batch that failed"));
    await expect(runs[0]).rejects.toThrow("a batch that failed");
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const f of finish) f.resolve();
    expect(await Promise.all(runs.slice(1))).toEqual([1, 2, 3, 4]);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it("refuses a limit below one", () => {
    expect(() => new BatchGate(0)).toThrow(RangeError);
  });
});
