// The relay's Prometheus metrics (GET /metrics). One registry per relay instance, so several
// relays in one process (tests, the bench) each count their own; the process-wide figures
// (event-loop lag, memory, GC: prom-client's default metrics) live in one shared registry and
// are merged in at scrape time. Labels are bounded: outcomes, status code names, entity types,
// strategies, store operations. Never a user or device id.
// Specification: docs/observability.md
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { ENTITY_TYPES, isEntityType } from "../schema/entities.js";
import { CONFLICT_STRATEGIES } from "../schema/strategies.js";
import { Code, codeName } from "../schema/status.js";
import { ResolutionKindSchema, SyncStatus, type DeviceHealth, type SyncResult } from "../schema/protocol/frames.js";
import { startStopwatch } from "./clock.js";
import type { RelayStore } from "./store/store.js";

/** What the relay knows of each pushed item when it answers: its type, and the result. */
export interface AnsweredItem {
  entityType: string;
}

/** Store operations timed on the store seam. */
export type StoreOperation = "write_batch" | "get" | "get_many" | "changes_since" | "pending_migrations" | "versions_since" | "latest_cursors";

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

/** Resolution kinds as labels: their names in the protocol; 0 or a kind newer than this relay is "unknown". */
const RESOLUTION_LABELS = new Map(ResolutionKindSchema.values.filter((v) => v.number !== 0).map((v) => [v.number, v.localName.toLowerCase()]));
const resolutionLabel = (kind: number) => RESOLUTION_LABELS.get(kind) ?? "unknown";
/** An entity type as a label: one of ENTITY_TYPES, else "unknown" (a version 4 device sends none; a bad one is anything). */
const entityTypeLabel = (type: string) => (isEntityType(type) ? type : "unknown");

export class RelayMetrics {
  readonly registry = new Registry();
  private readonly syncRequests: Counter<"code">;
  private readonly syncItems: Counter<"outcome" | "code">;
  private readonly pushToAck: Histogram;
  private readonly conflicts: Counter<"entity_type" | "strategy">;
  private readonly fanoutLag: Histogram;
  private readonly storeLatency: Histogram<"operation" | "result">;
  private readonly cacheLookups: Counter<"result">;
  private readonly deviceReports: Counter;
  private readonly deviceQueueDepth: Histogram;
  private readonly deviceResolutions: Counter<"entity_type" | "kind">;
  /** The last report of each connected device's connection, by connection. */
  private readonly devices = new Map<object, DeviceHealth>();

  constructor(sources: { connections: () => number; cachedDocuments: () => number; heldDocuments: () => number }) {
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
    this.deviceReports = new Counter({
      name: "ironflow_device_reports_total",
      help: "Sync health reports devices sent with a pull (protocol version 3 on).",
      registers,
    });
    this.deviceQueueDepth = new Histogram({
      name: "ironflow_device_queue_depth",
      help: "Changes waiting to be pushed on a device, one observation per report.",
      buckets: [0, 1, 5, 10, 50, 100, 500, 1000, 5000],
      registers,
    });
    this.deviceResolutions = new Counter({
      name: "ironflow_device_resolutions_total",
      help: "Conflicts devices settled, by entity type and kind (automatic, or the person's choice), as reported with their pulls (protocol version 4 on; entity_type unknown before version 5).",
      labelNames: ["entity_type", "kind"],
      registers,
    });
    // Every known type and kind from the start, so a dashboard's rate has a series before the first report.
    for (const entity_type of ENTITY_TYPES) for (const kind of RESOLUTION_LABELS.values()) this.deviceResolutions.inc({ entity_type, kind }, 0);
    const devices = this.devices;
    const sum = (figure: (h: DeviceHealth) => number) => [...devices.values()].reduce((total, h) => total + figure(h), 0);
    new Gauge({
      name: "ironflow_devices_reporting",
      help: "Connected devices that reported their sync health on this relay.",
      registers,
      collect() {
        this.set(devices.size);
      },
    });
    new Gauge({
      name: "ironflow_device_queued_items",
      help: "Changes waiting to be pushed, summed over the connected devices' last reports.",
      registers,
      collect() {
        this.set(sum((h) => h.queueDepth));
      },
    });
    new Gauge({
      name: "ironflow_device_items_waiting_for_manual_sync",
      help: "Changes past their last automatic retry, summed over the connected devices' last reports.",
      registers,
      collect() {
        this.set(sum((h) => h.waitingForManualSync));
      },
    });
    new Gauge({
      name: "ironflow_device_conflicts_waiting",
      help: "Conflicts waiting for the person, summed over the connected devices' last reports.",
      registers,
      collect() {
        this.set(sum((h) => h.conflictsWaiting));
      },
    });
    new Gauge({
      name: "ironflow_device_items_by_retries",
      help: "Waiting changes by how many times each failed (6+ together), summed over the connected devices' last reports.",
      labelNames: ["retries"],
      registers,
      collect() {
        this.reset();
        const byRetries = new Map<string, number>();
        for (const health of devices.values()) {
          for (const { retries, items } of health.retryCounts) {
            const label = retries >= 6 ? "6+" : String(retries);
            byRetries.set(label, (byRetries.get(label) ?? 0) + items);
          }
        }
        for (const [retries, items] of byRetries) this.set({ retries }, items);
      },
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
      name: "ironflow_document_cache_held_documents",
      help: "Automerge documents the batches at work hold outside the document cache, counted against its bounds.",
      registers,
      collect() {
        this.set(sources.heldDocuments());
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
        this.conflicts.inc({ entity_type: entityTypeLabel(type), strategy: isEntityType(type) ? CONFLICT_STRATEGIES[type].strategy : "unknown" });
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

  /** A device's connection (any object standing for it) reported its sync health. */
  deviceReported(connection: object, health: DeviceHealth): void {
    this.deviceReports.inc();
    this.deviceQueueDepth.observe(health.queueDepth);
    for (const { entityType, kind, count } of health.resolutions) this.deviceResolutions.inc({ entity_type: entityTypeLabel(entityType), kind: resolutionLabel(kind) }, count);
    this.devices.set(connection, health);
  }

  /** The connection closed: its device's figures leave the sums. */
  deviceGone(connection: object): void {
    this.devices.delete(connection);
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
    getMany: (userId, entityIds) => timed("get_many", () => inner.getMany(userId, entityIds)),
    changesSince: (userId, after, limit) => timed("changes_since", () => inner.changesSince(userId, after, limit)),
    pendingMigrations: () => timed("pending_migrations", () => inner.pendingMigrations()),
    versionsSince: (userId, after, limit) => timed("versions_since", () => inner.versionsSince(userId, after, limit)),
    latestCursors: (userIds) => timed("latest_cursors", () => inner.latestCursors(userIds)),
    close: () => inner.close(),
  };
}
