// Our side, end to end on one backend: the relay pair, a warm-up, the throughput run, the
// latency run.
import type { Cleanup } from "./support/bounded.js";
import { editLatency } from "./edit-latency.js";
import { openRelayPair, type Backend } from "./relay-pair.js";
import type { ScenarioOptions, ScenarioResult } from "./scenario.js";
import { createAndReceive } from "./throughput.js";
import { WARMUP_EDITS } from "./workload.js";

export async function runIronFlowRelay(backend: Backend, schema: string, options: ScenarioOptions, cleanup: Cleanup): Promise<ScenarioResult> {
  const { n, k, warmup, waitMs } = options;
  const pair = await openRelayPair(backend, schema, cleanup, waitMs);

  // Warm-up: the same paths, unmeasured.
  const warm = await createAndReceive(pair, warmup, 0, waitMs);
  const edited = warm.ids[0]!;
  await editLatency(pair, edited, warmup, WARMUP_EDITS, waitMs);

  const bulk = await createAndReceive(pair, n, warmup, waitMs);
  const profDir = process.env["BENCH_CPU_PROF"];
  const profile = profDir ? { dir: profDir, name: `edit-loop-${backend}` } : undefined;
  const edits = await editLatency(pair, edited, k, 0, waitMs, options.editBudgetMs, profile);
  const s = edits.stagesP50;
  return {
    name: `ironflow relay (${backend})`,
    throughput: {
      items: bulk.items,
      ms: bulk.ms,
      itemsPerSecond: bulk.itemsPerSecond,
      localMs: bulk.localMs,
      cpuMsPerItem: bulk.cpuMsPerItem,
    },
    latency: edits.latency,
    cpuMsPerEdit: edits.cpuMsPerEdit,
    notes: {
      store_open_ms: Math.round(pair.storeOpenMs),
      throughput_store_writes: bulk.batches,
      throughput_largest_batch: bulk.largestBatch,
      edit_p50_local_ms: round(s.local),
      edit_p50_ingress_ms: round(s.ingress),
      edit_p50_store_ms: round(s.store),
      edit_p50_egress_ms: round(s.egress),
      edit_store_calls_per_edit: round(edits.storeCallsPerEdit),
    },
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
