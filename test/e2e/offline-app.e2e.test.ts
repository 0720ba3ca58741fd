// The app as an installed, offline app: a new version is announced and waits for the person, and a
// device out of space says so at once and keeps what was typed.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { appCopy, browser, database, relay } from "./fixtures.js";

describe("a new version of the app", () => {
  it("is announced as an update and takes over only when the person chooses, keeping a half-typed workout", async () => {
    const db = await database();
    const appDir = appCopy();
    const r = await relay(db, { appDir });
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.goto(r.url);
    await app.setUp("lifter-u", "Phone");
    await app.offlineReady();
    const manifest = await page.evaluate(async () => {
      const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
      return link ? ((await (await fetch(link.href)).json()) as { name: string; icons: { sizes: string }[] }) : null;
    });
    expect(manifest?.name).toBe("IronFlow");
    expect(manifest?.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(["192x192", "512x512"]));

    // Half a workout typed, then a new version is published.
    await page.getByRole("link", { name: "+ New workout" }).click();
    await page.getByLabel("Workout title", { exact: true }).fill("Half typed");
    await page.getByLabel("Exercise 1 name", { exact: true }).fill("Deadlift");
    await page.getByLabel("Exercise 1 set 1 reps", { exact: true }).fill("3");
    // Cancel keeps it as a draft, offered on the list.
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.getByTestId("draft").getByRole("link", { name: "Continue" }).click();
    expect(await page.getByLabel("Exercise 1 name", { exact: true }).inputValue()).toBe("Deadlift");
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    appendFileSync(join(appDir, "sw.js"), "\n// the next version\n");
    // The network comes back (the app looks for a new version then).
    await chromium.context.setOffline(true);
    await chromium.context.setOffline(false);

    await page.getByTestId("update-prompt").getByText("Update available").waitFor();
    expect(await app.seriousViolations()).toEqual([]);
    // Announced, not applied: the same page, with what was typed.
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.getByLabel("Exercise 1 set 1 reps", { exact: true }).inputValue()).toBe("3");

    await Promise.all([page.waitForEvent("load"), page.getByRole("button", { name: "Update now" }).click()]);
    await page.getByLabel("Workout title", { exact: true }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBeUndefined();
    expect(await page.getByLabel("Workout title", { exact: true }).inputValue()).toBe("Half typed");
    expect(await page.getByLabel("Exercise 1 set 1 reps", { exact: true }).inputValue()).toBe("3");
    expect(await page.getByTestId("update-prompt").count()).toBe(0);
    expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null)).toBeNull();
    expect(chromium.pageErrors).toEqual([]);
  });
});

describe("a device out of space", () => {
  it("says 'Not saved: this device is out of space' at once, keeps what was typed, and saves once there is room", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page } = chromium;
    // This origin may keep 8 MB (set before it opens any storage: IndexedDB reads its allowance
    // when it first opens a database here).
    const cdp = await chromium.context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(r.url).origin, quotaSize: 8 * 1024 * 1024 });
    await page.goto(r.url);
    await app.setUp("lifter-q", "Phone");
    await app.offlineReady();
    await app.logWorkout("Monday", [{ name: "Bench Press", sets: [{ reps: 5, weight: 80, unit: "kg", rpe: null }] }]);
    await app.workoutState("synced");

    // Something else fills the rest: from now on every write to IndexedDB fails.
    await fillIndexedDb(page);

    // A set edited in a stored workout.
    const weight = page.getByLabel("Bench Press set 1 weight", { exact: true });
    await weight.fill("82.5");
    await weight.press("Enter");
    await page.getByTestId("save-error").getByText("Not saved: this device is out of space").waitFor();
    expect(await weight.inputValue()).toBe("82.5");

    // A new workout.
    await app.backToList();
    await page.getByRole("link", { name: "+ New workout" }).click();
    await page.getByLabel("Workout title", { exact: true }).fill("Tuesday");
    await page.getByLabel("Exercise 1 name", { exact: true }).fill("Squat");
    await app.fillSet("Exercise 1 set 1", { reps: 5, weight: 100, unit: "kg", rpe: 8 });
    await page.getByRole("button", { name: "Save workout" }).click();
    await page.getByTestId("save-error").getByText("Not saved: this device is out of space").waitFor();
    await page.locator("button:not([disabled])", { hasText: "Save workout" }).waitFor(); // not stuck on "Saving…"
    expect(await page.getByLabel("Exercise 1 set 1 weight", { exact: true }).inputValue()).toBe("100");
    expect(await app.seriousViolations()).toEqual([]);

    // Room again: the same Save goes through, with what was typed.
    await page.evaluate(() => new Promise((resolve) => (indexedDB.deleteDatabase("filler").onsuccess = resolve)));
    await page.getByRole("button", { name: "Save workout" }).click();
    await page.getByTestId("workout-title").filter({ hasText: "Tuesday" }).waitFor();
    expect(await app.readWorkout()).toEqual([{ name: "Squat", sets: [{ reps: 5, weight: 100, unit: "kg", rpe: 8 }] }]);
    await app.workoutState("synced");
    expect(chromium.pageErrors).toEqual([]);
  });
});

/**
 * Fills this origin's storage to the last few bytes with random (incompressible) data in a
 * database of its own, as other data would: large writes until one is refused, then smaller ones.
 */
async function fillIndexedDb(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open("filler", 1);
      open.onupgradeneeded = () => open.result.createObjectStore("blobs");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error ?? new Error("indexedDB.open failed"));
    });
    const put = (size: number, key: number) =>
      new Promise<boolean>((resolve) => {
        const tx = db.transaction("blobs", "readwrite");
        const bytes = new Uint8Array(size);
        // getRandomValues fills at most 65,536 bytes per call.
        for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(bytes.subarray(at, at + 65_536));
        tx.objectStore("blobs").put(bytes, key);
        tx.oncomplete = () => resolve(true);
        tx.onabort = () => resolve(false);
      });
    let key = 0;
    for (const size of [512 * 1024, 64 * 1024, 8 * 1024, 1024, 128]) while (await put(size, key)) key += 1;
    db.close();
  });
}
