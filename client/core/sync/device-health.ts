// The device's sync health as it reports it to the relay with each pull (protocol version 3 on),
// so the relay's metrics show queue depths, retry counts and stuck changes without another
// channel; from version 4 also how it settled conflicts since its last report, one row per entity
// type and kind (a version 4 relay ignores the type and sums the rows by kind). Counts only: no
// entity id, nothing a document holds.
// Specification: docs/observability.md
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeviceHealthSchema } from "../../../schema/protocol/frames.js";
import type { ResolutionTally } from "../conflicts/resolution-tally.js";
import type { SyncQueue } from "../queue/sync-queue.js";

export type DeviceHealthReport = MessageInitShape<typeof DeviceHealthSchema>;

/** The report for a connection of `protocolVersion`: none before 3, no resolutions before 4. */
export function deviceHealth(queue: SyncQueue, tally: ResolutionTally, protocolVersion: number): DeviceHealthReport | undefined {
  if (protocolVersion < 3) return undefined;
  const byRetries = new Map<number, number>();
  for (const item of queue.pending()) byRetries.set(item.retryCount, (byRetries.get(item.retryCount) ?? 0) + 1);
  return {
    queueDepth: queue.depth,
    retryCounts: [...byRetries].sort(([a], [b]) => a - b).map(([retries, items]) => ({ retries, items })),
    waitingForManualSync: queue.waitingForManualSync().length,
    conflictsWaiting: queue.all().filter((item) => item.status === "conflict").length,
    ...(protocolVersion >= 4 ? { resolutions: tally.toReport() } : {}),
  };
}
