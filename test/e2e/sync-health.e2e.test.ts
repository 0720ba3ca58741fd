// The Sync health screen, reached from the status bar: queue depth, last sync, the last error in
// words, retry counts of waiting changes, and the device's recent sync log, which survives a
// reload (IndexedDB) and exports as JSON for a bug report.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { browser, database, relay } from "./fixtures.js";

const SQUAT = [{ name: "Squat", sets: [{ reps: 5, weight: 140, unit: "kg" as const, rpe: null }] }];

describe("the Sync health screen", () => {
  it("shows what the device knows of its syncing, keeps the log across a reload, and exports it", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.goto(r.url);
    await app.setUp("lifter-health", "Phone");
    await app.logWorkout("Leg day", SQUAT);
    await app.workoutState("synced");
    await app.backToList();

    await page.getByTestId("sync-health-link").click();
    await page.getByRole("heading", { name: "Sync health" }).waitFor();
    expect(await page.getByTestId("health-queue-depth").textContent()).toBe("0");
    expect(await page.getByTestId("health-last-sync").textContent()).not.toBe("Never");
    expect(await page.getByTestId("health-last-error").textContent()).toBe("None");
    await page.locator('[data-testid="health-log"] li[data-event="sync_success"]').first().waitFor();
    await page.locator('[data-testid="health-log"] li[data-event="sync_attempt"]').first().waitFor();
    expect(await app.seriousViolations()).toEqual([]);

    // The relay goes away: a new workout waits, its first attempt failed, and the screen says why.
    await r.close();
    await page.goto(`${r.url}/#/`);
    await app.logWorkout("Arms", [{ name: "Curl", sets: [{ reps: 10, weight: 20, unit: "kg", rpe: null }] }]);
    await app.backToList();
    await app.syncNow();
    await app.syncFinished();
    await page.getByTestId("sync-health-link").click();
    await page.getByTestId("health-queue-depth").filter({ hasText: /^1$/ }).waitFor();
    expect(await page.getByTestId("health-last-error").textContent()).toBe("The sync server could not be reached.");
    // At least one failed attempt: under load the back-off may already have tried again.
    await page.locator('[data-testid="health-retries"] tr[data-items="1"]:not([data-retries="0"])').waitFor();
    await page.locator('[data-testid="health-log"] li[data-event="sync_failed"]').first().waitFor();

    // The log is in IndexedDB: a reload shows it again.
    await page.reload();
    await page.getByRole("heading", { name: "Sync health" }).waitFor();
    await page.locator('[data-testid="health-log"] li[data-event="sync_success"]').first().waitFor();

    const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export log" }).click()]);
    const exported = JSON.parse(readFileSync(await file.path(), "utf8")) as { status: { queueDepth: number }; log: { event: string }[] };
    expect(exported.status.queueDepth).toBe(1);
    expect(exported.log.map((entry) => entry.event)).toEqual(expect.arrayContaining(["sync_attempt", "sync_success", "sync_failed"]));
    // Each event with the source's fields and the device's id; a failure with its code.
    const deviceId = expect.stringMatching(/.+/) as unknown;
    const when = expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown;
    const ms = expect.any(Number) as unknown;
    expect(exported.log).toContainEqual(expect.objectContaining({ event: "sync_attempt", device_id: deviceId, items_count: 1, timestamp: when }));
    expect(exported.log).toContainEqual(expect.objectContaining({ event: "sync_success", device_id: deviceId, items_synced: 1, conflicts: 0, errors: 0, duration_ms: ms }));
    expect(exported.log).toContainEqual(expect.objectContaining({ event: "sync_failed", device_id: deviceId, code: "UNAVAILABLE", message: expect.any(String) as unknown, duration_ms: ms }));
    // Events name ids and counts, never what a workout holds.
    expect(JSON.stringify(exported.log)).not.toContain("Leg day");
  });
});
