// Throughput, our side: A creates `count` workouts one after another (each resolves once saved
// on A; with syncOnChange each also asks for a push, which the sync engine coalesces into
// batches); measured from A's first create until B's list holds all of them.
import type { Throughput } from "./scenario.js";
import type { RelayPair } from "./relay-pair.js";
import { observe, withTimeout } from "./support/bounded.js";
import { cpuClock } from "./support/cpu.js";
import { benchWorkout } from "./workload.js";

export interface OursThroughput extends Throughput {
  ids: string[];
  /** Store writes (transactions) the relay made for these items, and items in the largest. */
  batches: number;
  largestBatch: number;
}

export async function createAndReceive(pair: RelayPair, count: number, first: number, waitMs: number): Promise<OursThroughput> {
  const { a, b } = pair;
  const target = b.list("workout").length + count;
  const callsBefore = pair.storeCalls.length;
  // Bounded below, once A is done creating: creating is local work, however slow the machine.
  const received = observe(b, () => b.list("workout").length >= target, 30 * 60_000, `B receiving ${count} workouts`);
  const ids: string[] = [];
  const cpu = cpuClock();
  const start = performance.now();
  for (let i = 0; i < count; i++) ids.push(await a.create("workout", benchWorkout(first + i)));
  const created = performance.now();
  const done = await withTimeout(received, waitMs, `B receiving ${count} workouts`);
  const cpuMs = cpu();
  const error = a.status().lastError;
  if (error) throw new Error(`A's sync failed during the run: ${error.code} ${error.message}`);
  const writes = pair.storeCalls.slice(callsBefore).filter((c) => c.op === "writeBatch" && c.start >= start && c.end <= done);
  return {
    items: count,
    ms: done - start,
    itemsPerSecond: (count / (done - start)) * 1000,
    localMs: created - start,
    cpuMsPerItem: cpuMs / count,
    ids,
    batches: writes.length,
    largestBatch: Math.max(0, ...writes.map((w) => w.items)),
  };
}
