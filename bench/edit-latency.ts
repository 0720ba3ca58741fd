// Edit-to-other-device latency, our side: A adds one set to a workout (update()), K times in a
// row, each after B saw the previous one. One sample is the time from A's update() call until
// B, on its subscribe notification, reads the workout and finds the new set.
//
// Each sample is also split at the relay's store seam (the timestamped store: A, the relay and B
// share one process and one clock):
//   local   A's update() call -> it resolved (saved on A: Automerge change, flush, records)
//   ingress update() resolved -> the relay starts its store write (A prepares and sends the
//           push; the relay decodes, applies, validates and saves the document)
//   store   the relay's writeBatch (one transaction)
//   egress  writeBatch done -> B found the set (fan-out frame, B applies the snapshot and saves
//           it, notifies, reads the document)
import type { LatencyStats } from "./report.js";
import { latencyStats, median } from "./report.js";
import type { RelayPair } from "./relay-pair.js";
import { observe } from "./support/bounded.js";
import { cpuClock } from "./support/cpu.js";
import { profileWindow } from "./support/cpu-profile.js";
import { addedSet, countSets } from "./workload.js";

export interface OursLatency {
  latency: LatencyStats;
  cpuMsPerEdit: number;
  stagesP50: { local: number; ingress: number; store: number; egress: number };
  /** Store calls per edit (writes + the pulls A makes after each push). */
  storeCallsPerEdit: number;
}

/** Stops after `count` edits or once `budgetMs` has passed, whichever comes first. */
export async function editLatency(
  pair: RelayPair,
  id: string,
  count: number,
  firstEdit: number,
  waitMs: number,
  budgetMs = Number.POSITIVE_INFINITY,
  /** Writes a CPU profile of the loop to `<dir>/<name>.cpuprofile` (BENCH_CPU_PROF). */
  profile?: { dir: string; name: string },
): Promise<OursLatency> {
  const { a, b } = pair;
  const readSets = async () => countSets((await b.get<"workout">(id))?.payload);
  let expected = await readSets();
  if (expected < 0) throw new Error(`B does not have workout ${id}`);
  const samples: number[] = [];
  const local: number[] = [];
  const ingress: number[] = [];
  const store: number[] = [];
  const egress: number[] = [];
  const callsBefore = pair.storeCalls.length;
  const window = profile ? await profileWindow(profile.dir, profile.name) : undefined;
  const cpu = cpuClock();
  const loopStart = performance.now();
  for (let i = 0; i < count && performance.now() - loopStart < budgetMs; i++) {
    const { exercise, set } = addedSet(firstEdit + i);
    expected += 1;
    const target = expected;
    const seen = observe(b, async () => (await readSets()) === target, waitMs, `B seeing edit ${firstEdit + i}`);
    const callIndex = pair.storeCalls.length;
    const start = performance.now();
    await a.update<"workout">(id, (w) => {
      w.exercises[exercise]!.sets.push(set);
    });
    const saved = performance.now();
    const at = await seen;
    samples.push(at - start);
    local.push(saved - start);
    const write = pair.storeCalls.slice(callIndex).find((c) => c.op === "writeBatch" && c.start >= start);
    if (write && write.end <= at) {
      ingress.push(write.start - saved);
      store.push(write.end - write.start);
      egress.push(at - write.end);
    }
  }
  const cpuMs = cpu();
  if (window) console.log(`cpu profile of the edit loop: ${await window.stop()}`);
  const error = a.status().lastError;
  if (error) throw new Error(`A's sync failed during the run: ${error.code} ${error.message}`);
  return {
    latency: latencyStats(samples),
    cpuMsPerEdit: cpuMs / Math.max(1, samples.length),
    stagesP50: { local: median(local), ingress: median(ingress), store: median(store), egress: median(egress) },
    storeCallsPerEdit: (pair.storeCalls.length - callsBefore) / Math.max(1, samples.length),
  };
}
