// A list of thousands of workouts on a phone: only the rows near the screen are in the DOM, the
// page scrolls to the oldest, and the list still works by keyboard and for screen readers (each
// row says where it is in the whole list; Tab walks on past the rows first drawn). The 3000
// workouts come in an export file, imported through the Data screen with the phone off the
// network, so the test measures the list, not 3000 pushes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workout } from "../support/devices.js";
import { workoutsExportFile } from "../support/export-file.js";
import { database, onCleanup, proxiedBrowser, relay } from "./fixtures.js";

const COUNT = 3000;
const DAY = 86_400_000;
const FIRST = Date.UTC(2018, 0, 1, 18, 0);
const title = (i: number) => `Session ${String(i + 1).padStart(4, "0")}`;

/** An export file of `COUNT` workouts, one a day from FIRST, as another device would write it. */
function thousandsOfWorkouts(): string {
  const workouts = Array.from({ length: COUNT }, (_, i) => ({ ...workout(title(i), [{ name: "Back Squat", sets: [[5, 100]] }]), startedAt: FIRST + i * DAY }));
  const dir = mkdtempSync(join(tmpdir(), "ironflow-export-"));
  onCleanup(() => {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  });
  const file = join(dir, "workouts.json");
  writeFileSync(file, JSON.stringify(workoutsExportFile(workouts)));
  return file;
}

describe("the workout list with thousands of workouts", () => {
  it("keeps a bounded number of rows in the DOM, scrolls to the oldest, and is walked by keyboard with each row's place announced", async () => {
    const db = await database();
    const r = await relay(db);
    const file = thousandsOfWorkouts();
    const phone = await proxiedBrowser(r, "many-1", "Gym phone");
    const { page } = phone.chromium;
    await page.setViewportSize({ width: 390, height: 844 });
    await phone.offline();
    await phone.app.screen("Data");
    await page.getByLabel("Import a JSON export").setInputFiles(file);
    await page.getByText(`${COUNT} added`).waitFor({ timeout: 120_000 });
    await phone.app.screen("Workouts");
    await page.getByTestId("workout-count").filter({ hasText: `${COUNT} workouts` }).waitFor();

    const rows = page.getByRole("list", { name: "Workouts" }).getByRole("listitem");
    const drawn = () => rows.count();
    // Newest first; about a screenful (plus the overscan) is drawn, not 3000.
    await page.getByTestId("workout-item").filter({ hasText: title(COUNT - 1) }).waitFor();
    expect(await drawn()).toBeGreaterThan(3);
    expect(await drawn()).toBeLessThanOrEqual(40);
    expect(await rows.first().getAttribute("aria-setsize")).toBe(String(COUNT));
    expect(await rows.first().getAttribute("aria-posinset")).toBe("1");

    // The page is as tall as every row, and its end shows the oldest workout.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const oldest = page.getByTestId("workout-item").filter({ hasText: new RegExp(`^${title(0)}`) });
    await oldest.waitFor();
    expect(await oldest.locator("..").getAttribute("aria-posinset")).toBe(String(COUNT));
    expect(await drawn()).toBeLessThanOrEqual(40);
    expect(await oldest.isVisible()).toBe(true);

    // Keyboard: from the top, Tab walks row after row, past those first drawn.
    // The first row by its place, not the first in the DOM: until the scroll back to the top is
    // drawn, the DOM's first row is one from the end of the list.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator('[aria-posinset="1"] [data-testid="workout-item"]').focus();
    const steps = 60;
    // One press at a time, as a person tabs: each waits for focus to reach the next row, so a
    // step that goes wrong fails where it happens (60 presses at once ended on row 27, not 61,
    // once on a loaded machine, with nothing to say which press went astray).
    for (let i = 0; i < steps; i++) {
      await page.keyboard.press("Tab");
      await page.waitForFunction((place) => document.activeElement?.parentElement?.getAttribute("aria-posinset") === place, String(i + 2));
    }
    const focused = await page.evaluate(() => ({
      title: document.activeElement?.querySelector(".workout-item-title")?.textContent ?? "",
      place: document.activeElement?.parentElement?.getAttribute("aria-posinset") ?? "",
    }));
    expect(focused).toEqual({ title: title(COUNT - 1 - steps), place: String(steps + 1) });
    expect(await drawn()).toBeLessThanOrEqual(40);
    // The focused row stays in the DOM when the page is scrolled away from it.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight / 2));
    await page.waitForFunction(() => [...document.querySelectorAll("[aria-posinset]")].some((row) => Number(row.getAttribute("aria-posinset")) > 1000));
    expect(await page.evaluate(() => document.activeElement?.querySelector(".workout-item-title")?.textContent)).toBe(title(COUNT - 1 - steps));
    await page.keyboard.press("Enter");
    await page.getByTestId("workout-title").filter({ hasText: title(COUNT - 1 - steps) }).waitFor();
    expect(phone.chromium.pageErrors).toEqual([]);
  }, 240_000); // 3000 workouts imported: minutes on a loaded two-core machine
});
