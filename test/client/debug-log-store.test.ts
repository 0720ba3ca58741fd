// The app's sync log in IndexedDB keeps the last MAX_ENTRIES events, oldest dropped first, in
// the order they were logged.
import "fake-indexeddb/auto";
import { describe, expect, it } from "vitest";
import { DebugLogStore, MAX_ENTRIES } from "../../client/app/health/debug-log-store.js";

let users = 0;

describe("the app's sync log", () => {
  it("keeps the newest entries up to its limit, in order, with the logger's fields and time", async () => {
    const store = DebugLogStore.forUser(`log-test-${++users}`);
    const log = store.logger(() => Date.UTC(2026, 10, 30, 9, 0, 0));
    for (let i = 0; i < MAX_ENTRIES + 10; i++) log.event("sync_attempt", { device_id: "phone", items_count: i });
    // Asked for more than it keeps: what is stored, not a slice of it.
    const kept = await store.recent(MAX_ENTRIES * 2);
    expect(kept).toHaveLength(MAX_ENTRIES);
    expect(kept.map((e) => e["items_count"])).toEqual(Array.from({ length: MAX_ENTRIES }, (_, i) => i + 10));
    expect(kept[0]).toMatchObject({ event: "sync_attempt", device_id: "phone", timestamp: "2026-11-30T09:00:00.000Z" });
    expect((await store.recent(3)).map((e) => e["items_count"])).toEqual([MAX_ENTRIES + 7, MAX_ENTRIES + 8, MAX_ENTRIES + 9]);
  });

  it("another handle on the same person's log reads what the first wrote", async () => {
    const name = `log-test-${++users}`;
    const writer = DebugLogStore.forUser(name);
    writer.logger().event("sync_success", { items_synced: 2 });
    await writer.recent();
    expect((await DebugLogStore.forUser(name).recent()).map((e) => e.event)).toEqual(["sync_success"]);
  });
});
