// Two tabs of one browser share one device store: one tab syncs, the other uses it; when the
// syncing tab freezes or closes, the other takes over within seconds and its edits sync.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { AppPage } from "../support/app-page.js";
import { browser, database, nodeDevice, onCleanup, relay } from "./fixtures.js";

const ONE_SET = [{ name: "Row", sets: [{ reps: 8, weight: 60, unit: "kg" as const, rpe: null }] }];

/** Counts the WebSockets a page opens: only the tab that syncs opens one. */
function countSockets(page: Page): { count: number } {
  const sockets = { count: 0 };
  page.on("websocket", () => (sockets.count += 1));
  return sockets;
}

describe("two tabs of the app in one browser", () => {
  it("sync through one of them; a frozen, then a closed, syncing tab is replaced and the other's edits sync", async () => {
    const db = await database();
    const r = await relay(db);
    const tablet = await nodeDevice(r.syncUrl, "lifter-t");
    // What the relay holds, as another device pulls it (after the tab showed "Synced").
    const onRelay = async () => {
      await tablet.client.syncNow();
      return tablet.client.list("workout").map((w) => w.title);
    };
    const { app: first, chromium } = await browser();
    const firstSockets = countSockets(first.page);
    await first.page.goto(r.url);
    await first.setUp("lifter-t", "Laptop");
    await first.tabRole("leader");
    await first.connection("Online");

    const secondPage = await chromium.context.newPage();
    onCleanup(() => secondPage.close());
    const secondSockets = countSockets(secondPage);
    const second = new AppPage(secondPage);
    await secondPage.goto(r.url);
    await second.tabRole("follower");
    await second.connection("Online"); // the status the syncing tab reports
    expect(await second.seriousViolations()).toEqual([]);

    // An edit in the second tab is saved and synced by the first.
    await second.logWorkout("From the second tab", ONE_SET);
    await second.workoutState("synced");
    expect(await onRelay()).toContain("From the second tab");
    await first.listState("From the second tab", "synced");
    expect(secondSockets.count).toBe(0);

    // The first tab freezes (its JavaScript stops, as in a hung page; Chromium's lifecycle
    // freeze still delivers BroadcastChannel messages): the second finds it silent, takes the
    // store over, and syncs itself.
    const cdp = await chromium.context.newCDPSession(first.page);
    await cdp.send("Debugger.enable");
    await cdp.send("Debugger.pause");
    await second.tabRole("leader");
    await second.connection("Online");
    await second.backToList();
    await second.logWorkout("After the freeze", ONE_SET);
    await second.workoutState("synced");
    expect(await onRelay()).toContain("After the freeze");
    expect(secondSockets.count).toBeGreaterThan(0);

    // Thawed, the first tab finds the store taken and follows; closing the second hands it back.
    await cdp.send("Debugger.resume");
    await first.tabRole("follower");
    await first.listState("After the freeze", "synced");
    const socketsBefore = firstSockets.count;
    await secondPage.close();
    await first.tabRole("leader");
    await first.connection("Online");
    await first.logWorkout("Back in the first tab", ONE_SET);
    await first.workoutState("synced");
    expect(await onRelay()).toContain("Back in the first tab");
    expect(firstSockets.count).toBeGreaterThan(socketsBefore);
    expect(chromium.pageErrors).toEqual([]);
  }, 180_000); // two tabs, a frozen and a closed one: 63 s once on a loaded two-core machine
});
