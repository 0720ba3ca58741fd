// The relay's Prometheus metrics (GET /metrics). One registry per relay instance, so several
// relays in one process (tests, the bench) each count their own; the process-wide figures
// (event-loop lag, memory, GC: prom-client's default metrics) live in one shared registry and
// are merged in at scrape time. Labels are bounded: outcomes, status code names, entity types,
// strategies, store operations. Never a user or device id.
// Specification: docs/observability.md
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { isEntityType } from "../schema/entities.js";
import { CONFLICT_STRATEGIES } from "../schema/strategies.js";
import { Code, codeName } from "../schema/status.js";
import { SyncStatus, type SyncResult } from "../schema/protocol/frames.js";
import { startStopwatch } from "./clock.js";
import type { RelayStore } from "./store/store.js";

/** What the relay knows of each pushed item when it answers: its type, and the result. */
export interface AnsweredItem {
  entityType: string;
}

/** Store operations timed on the store seam. */
export type StoreOperation = "write_batch" | "get" | "changes_since" | "pending_migrations";

let processRegistry: Registry | undefined;

/** prom-client's default metrics (event-loop lag, heap, GC), once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Sub-millisecond to seconds: a push is ~2 ms on loopback, a stalled store seconds. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class RelayMetrics {
  readonly registry = new Registry();
  private readonly syncRequests: Counter<"code">;
  private readonly syncItems: Counter<"outcome" | "code">;
  private readonly pushToAck: Histogram;
  private readonly conflicts: Counter<"entity_type" | "strategy">;
  private readonly fanoutLag: Histogram;
  private readonly storeLatency: Histogram<"operation" | "result">;
  private readonly cacheLookups: Counter<"result">;

  constructor(sources: { connections: () => number; cachedDocuments: () => number }) {
    const registers = [this.registry];
    this.syncRequests = new Counter({
      name: "ironflow_sync_requests_total",
      help: "SyncRequests answered, by the request's code (OK, or why the whole batch was refused).",
      labelNames: ["code"],
      registers,
    });
    this.syncItems = new Counter({
      name: "ironflow_sync_items_total",
      help: "Pushed items answered, by outcome (success, conflict, error) and status code.",
      labelNames: ["outcome", "code"],
      registers,
    });
    this.pushToAck = new Histogram({
      name: "ironflow_sync_push_to_ack_seconds",
      help: "From a SyncRequest's arrival to its answer being sent (stored and committed first).",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.conflicts = new Counter({
      name: "ironflow_sync_conflicts_total",
      help: "Items answered CONFLICT (the device built on an older version), by entity type and the type's strategy.",
      labelNames: ["entity_type", "strategy"],
      registers,
    });
    this.fanoutLag = new Histogram({
      name: "ironflow_fanout_lag_seconds",
      help: "From a version's commit (database time) to its hand-over to another device's connection on this relay.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.storeLatency = new Histogram({
      name: "ironflow_store_seconds",
      help: "Calls on the relay's store, by operation and result (ok, error).",
      labelNames: ["operation", "result"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.cacheLookups = new Counter({
      name: "ironflow_document_cache_lookups_total",
      help: "Documents looked up in the relay's document cache, by result (hit, miss).",
      labelNames: ["result"],
      registers,
    });
    new Gauge({
      name: "ironflow_document_cache_documents",
      help: "Automerge documents held in the relay's document cache.",
      registers,
      collect() {
        this.set(sources.cachedDocuments());
      },
    });
    new Gauge({
      name: "ironflow_open_connections",
      help: "Open WebSocket connections on the sync endpoint.",
      registers,
      collect() {
        this.set(sources.connections());
      },
    });
  }

  /** A SyncRequest was answered: `items` as pushed, `results` in the same order. */
  syncAnswered(items: readonly AnsweredItem[], results: readonly SyncResult[], seconds: number): void {
    this.syncRequests.inc({ code: codeName(Code.OK) });
    this.pushToAck.observe(seconds);
    for (const [i, result] of results.entries()) {
      const outcome = outcomeOf(result.status);
      this.syncItems.inc({ outcome, code: codeName(result.code) });
      if (outcome === "conflict") {
        const type = items[i]?.entityType ?? "";
        const known = isEntityType(type) ? type : "unknown";
        this.conflicts.inc({ entity_type: known, strategy: isEntityType(type) ? CONFLICT_STRATEGIES[type].strategy : "unknown" });
      }
    }
  }

  /** A SyncRequest was refused as a whole (no item results). */
  syncRefused(code: Code): void {
    this.syncRequests.inc({ code: codeName(code) });
  }

  /** Versions committed at `serverTimes` (ms, database time) reached a connection at `now`. */
  fannedOut(serverTimes: readonly number[], now: number): void {
    // The database's clock and this one may disagree a little: a negative lag counts as zero.
    for (const t of serverTimes) this.fanoutLag.observe(Math.max(0, now - t) / 1000);
  }

  storeCall(operation: StoreOperation, ok: boolean, seconds: number): void {
    this.storeLatency.observe({ operation, result: ok ? "ok" : "error" }, seconds);
  }

  cacheLookup(hit: boolean): void {
    this.cacheLookups.inc({ result: hit ? "hit" : "miss" });
  }

  /** The Prometheus text exposition: this relay's metrics and the process's. */
  async render(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([this.registry, processMetrics()]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }
}

function outcomeOf(status: SyncStatus): "success" | "conflict" | "error" {
  switch (status) {
    case SyncStatus.SUCCESS:
      return "success";
    case SyncStatus.CONFLICT:
      return "conflict";
    default:
      return "error";
  }
}

/** The store with every entity call timed into `metrics`; behaviour unchanged. */
export function measuredStore(inner: RelayStore, metrics: RelayMetrics): RelayStore {
  const timed = async <T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> => {
    const elapsed = startStopwatch();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } finally {
      metrics.storeCall(operation, ok, elapsed());
    }
  };
  return {
    accounts: inner.accounts,
    writeBatch: (userId, writes) => timed("write_batch", () => inner.writeBatch(userId, writes)),
    get: (userId, entityId) => timed("get", () => inner.get(userId, entityId)),
    changesSince: (userId, after, limit) => timed("changes_since", () => inner.changesSince(userId, after, limit)),
    pendingMigrations: () => timed("pending_migrations", () => inner.pendingMigrations()),
    close: () => inner.close(),
  };
}
