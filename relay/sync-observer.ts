// What the relay tells operators about each SyncRequest: the source's debug events as structured
// log lines (sync_attempt, sync_conflict, sync_success; sync_item_refused and sync_failed with
// their codes) and the metrics (metrics.ts). A session calls started() when a request arrives
// and then answered() or refused(); nothing here changes what the relay does.
// Logged: request id, user and device ids, entity types and ids, versions, codes, counts,
// durations. Never a token or a document's contents.
// Specification: docs/observability.md
import { isEntityType } from "../schema/entities.js";
import { SyncStatus, type DeviceHealth, type SyncRequest, type SyncResult } from "../schema/protocol/frames.js";
import { CONFLICT_STRATEGIES } from "../schema/strategies.js";
import { Code, SyncError, codeName } from "../schema/status.js";
import { startStopwatch } from "./clock.js";
import type { Logger } from "./logger.js";
import type { RelayMetrics } from "./metrics.js";
import type { Principal } from "./pipeline/authenticate.js";

export interface ObservedSync {
  /** The request was answered item by item (results in the request's order). */
  answered(results: readonly SyncResult[]): void;
  /** The request was refused as a whole. */
  refused(err: unknown): void;
}

export class SyncObserver {
  constructor(
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
  ) {}

  started(requestId: number, principal: Principal, request: SyncRequest): ObservedSync {
    const elapsed = startStopwatch();
    const who = { request_id: requestId, user_id: principal.userId, device_id: principal.deviceId };
    this.log.info("sync_attempt", { ...who, items_count: request.items.length });
    return {
      answered: (results) => {
        const seconds = elapsed();
        this.metrics.syncAnswered(request.items, results, seconds);
        const counts = { success: 0, conflict: 0, error: 0 };
        for (const [i, result] of results.entries()) {
          const item = request.items[i];
          const entity = { entity_type: clip(item?.entityType ?? ""), entity_id: clip(result.entityId) };
          if (result.status === SyncStatus.SUCCESS) counts.success += 1;
          else if (result.status === SyncStatus.CONFLICT) {
            counts.conflict += 1;
            const type = item?.entityType ?? "";
            const rule = isEntityType(type) ? CONFLICT_STRATEGIES[type] : undefined;
            this.log.info("sync_conflict", {
              ...who,
              ...entity,
              client_version: item?.version ?? 0,
              server_version: result.serverVersion,
              // The device decides by history whether the edits really were concurrent; if so,
              // this is what the type's strategy does with them.
              strategy: rule?.strategy ?? "unknown",
              resolution: rule?.userActionRequired ? "user_prompt" : "automatic",
            });
          } else {
            counts.error += 1;
            this.log.info("sync_item_refused", { ...who, ...entity, code: codeName(result.code), message: result.errorMessage });
          }
        }
        this.log.info("sync_success", {
          ...who,
          items_synced: counts.success,
          conflicts: counts.conflict,
          errors: counts.error,
          duration_ms: round(seconds * 1000),
        });
      },
      refused: (err) => {
        const code = err instanceof SyncError ? err.code : Code.INTERNAL;
        this.metrics.syncRefused(code);
        this.log.error("sync_failed", {
          ...who,
          items_count: request.items.length,
          code: codeName(code),
          message: err instanceof SyncError ? err.detail : "internal error",
          duration_ms: round(elapsed() * 1000),
        });
      },
    };
  }

  /** A device's connection reported its sync health with a pull. */
  deviceReported(connection: object, health: DeviceHealth): void {
    this.metrics.deviceReported(connection, health);
  }

  deviceGone(connection: object): void {
    this.metrics.deviceGone(connection);
  }

  /** Versions committed at `serverTimes` (database time, ms) were handed to a connection at `now`. */
  fannedOut(serverTimes: readonly number[], now: number): void {
    this.metrics.fannedOut(serverTimes, now);
  }
}

/** An id or type as the device sent it, cut short: a refused item's fields are unchecked. */
function clip(value: string): string {
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
