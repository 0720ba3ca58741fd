// What every side of the bench is given and gives back.
import type { LatencyStats } from "./report.js";

export interface ScenarioOptions {
  /** Documents A creates for the throughput run. */
  n: number;
  /** Sequential edits for the latency run. */
  k: number;
  /** Unmeasured documents and edits before measuring (same path). */
  warmup: number;
  /** Bound on any single wait; a guard against hangs, not a measurement. */
  waitMs: number;
  /**
   * Time box for the K edits: on a slow or busy machine the loop stops early and the result
   * says how many edits it measured (latency.samples), so the whole run stays within budget.
   */
  editBudgetMs: number;
}

export interface Throughput {
  items: number;
  /** From A's first create to B holding the last item. */
  ms: number;
  itemsPerSecond: number;
  /** Of that, A's own creates (saved on A, for ours; in memory, for the anchor). */
  localMs: number;
  /** CPU time of this process (devices and relay or server, not Postgres) per item. */
  cpuMsPerItem: number;
}

export interface ScenarioResult {
  name: string;
  throughput: Throughput;
  latency: LatencyStats;
  /** CPU time of this process (devices and relay or server, not Postgres) per edit. */
  cpuMsPerEdit: number;
  /** Anything else worth printing (stage medians, batch counts, start-up times). */
  notes?: Record<string, number | string>;
}
