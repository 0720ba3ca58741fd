// What a run sends: pure decisions over queue items.
import { describe, expect, it } from "vitest";
import type { SyncQueueItem } from "../../client/core/index.js";
import { batchLimits, selectForRun, wireOperation } from "../../client/core/sync/sync-policy.js";
import { Operation } from "../../schema/protocol/frames.js";

const NOW = Date.UTC(2026, 10, 25, 12);

function item(entityId: string, retryCount: number, nextAttemptAt: number | null): SyncQueueItem {
  return { entityType: "workout", entityId, operation: "update", data: null, timestamp: 1, version: 1, status: "pending", retryCount, nextAttemptAt, lastError: null, conflict: null };
}

const due = item("due", 1, NOW - 1);
const later = item("later", 2, NOW + 60_000);
const manualOnly = item("manual-only", 6, null);
const fresh = item("fresh", 0, null);

describe("which items a run pushes", () => {
  it("a timer or a local change pushes what is due, counting a failure", () => {
    for (const trigger of ["interval", "local_change", "retry_due"] as const) {
      expect(selectForRun([due, later, manualOnly, fresh], trigger, NOW)).toEqual([
        { item: due, counts: true },
        { item: fresh, counts: true },
      ]);
    }
  });

  it("a reconnect or the network coming back tries items early without counting it", () => {
    expect(selectForRun([later, manualOnly], "reconnect", NOW)).toEqual([{ item: later, counts: false }]);
    expect(selectForRun([later], "online", NOW)).toEqual([{ item: later, counts: false }]);
  });

  it("only the person's sync now takes the items that wait for a manual sync", () => {
    expect(selectForRun([manualOnly], "manual", NOW)).toEqual([{ item: manualOnly, counts: true }]);
    expect(selectForRun([manualOnly], "foreground", NOW)).toEqual([]);
  });
});

describe("how it is sent", () => {
  it("batches stay within the device's limits and the relay's announced ones", () => {
    expect(batchLimits(undefined, { items: 100, bytes: 512_000 })).toEqual({ items: 100, bytes: 500_000 });
    expect(batchLimits({ maxBatchItems: 20, maxFrameBytes: 200_000 } as never, { items: 100, bytes: 512_000 })).toEqual({ items: 20, bytes: 100_000 });
  });

  it("an entity the relay never stored is a create; a create already stored goes as an update", () => {
    expect(wireOperation(0, "update")).toBe(Operation.CREATE);
    expect(wireOperation(3, "create")).toBe(Operation.UPDATE);
    expect(wireOperation(3, "delete")).toBe(Operation.DELETE);
  });
});
