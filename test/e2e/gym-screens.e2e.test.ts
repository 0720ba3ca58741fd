// The training screens on a phone: an exercise's name in the workout leads to its history; a
// logged workout's sets show in the week's volume, chart and
// table, per muscle group of the exercise library; each new screen has no serious axe violation
// (light or dark) and every control is at least 44 × 44 CSS px.
import { describe, expect, it } from "vitest";
import { EXERCISE_LIBRARY } from "../../relay/catalog/exercise-library.js";
import { browser, checkPhoneScreen, database, relay } from "./fixtures.js";


describe("the training screens", { timeout: 180_000 }, () => {
  it("a logged workout's sets show in this week's volume per muscle group, chart and table, in the exercise's history; recovery is checked before it is saved", async () => {
    const db = await database();
    const r = await relay(db);
    await r.publishExerciseLibrary(EXERCISE_LIBRARY);
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(r.url);
    await app.setUp("volume-1", "Gym phone");
    await app.connection("Online");

    await app.logWorkout("Push day", [
      { name: "Bench Press", sets: [{ reps: 5, weight: 80, unit: "kg", rpe: null }, { reps: 5, weight: 80, unit: "kg", rpe: null }, { reps: 5, weight: 80, unit: "kg", rpe: null }] },
      { name: "Landmine Twist", sets: [{ reps: 10, weight: 20, unit: "kg", rpe: null }] },
    ]);
    await page.getByRole("link", { name: "Volume" }).click();
    const table = page.getByTestId("volume-table");
    await table.waitFor();
    const chest = EXERCISE_LIBRARY.find((e) => e.definition.name === "Bench Press")!.definition.muscleGroups;
    for (const group of chest) await expect.poll(() => table.getByRole("row", { name: new RegExp(`^${group} 3 `) }).count()).toBe(1);
    await expect.poll(() => table.getByRole("row", { name: /^other 1 / }).count()).toBe(1);
    await expect.poll(async () => (await page.getByTestId("volume-chart").getAttribute("aria-label")) ?? "").toContain(`${chest[0]} 3 of`);
    const drawn = await page.getByTestId("volume-chart").evaluate((c) => (c as HTMLCanvasElement).width > 0);
    expect(drawn).toBe(true);
    await checkPhoneScreen(app, "volume");

    // From the week's exercises to one exercise's history: best set and its estimated 1RM.
    await page.getByRole("link", { name: "Bench Press history" }).click();
    const figures = page.getByTestId("exercise-figures");
    await figures.filter({ hasText: "5 × 80 kg" }).filter({ hasText: "93.3 kg" }).waitFor();
    await page.getByRole("link", { name: /Push day$/ }).waitFor();
    await checkPhoneScreen(app, "exercise history");

    // Recovery: a value the schema refuses is said, not saved; a valid day is saved and listed.
    await page.getByRole("link", { name: "Recovery" }).click();
    const form = page.getByRole("form", { name: "Recovery" });
    await form.getByLabel("Day").fill("2026-11-24");
    await form.getByLabel("Sleep (hours)").fill("7.5");
    await form.getByLabel("Soreness (0–10)").fill("11");
    await form.getByRole("button", { name: "Save day" }).click();
    await form.getByRole("alert").filter({ hasText: "Soreness" }).waitFor();
    expect(await page.getByTestId("recovery-days").count()).toBe(0);
    await form.getByLabel("Soreness (0–10)").fill("3");
    await form.getByLabel("Readiness (0–10)").fill("8");
    await form.getByRole("button", { name: "Save day" }).click();
    await form.getByRole("status").filter({ hasText: "Saved 2026-11-24" }).waitFor();
    await page.getByTestId("recovery-days").getByRole("row", { name: "2026-11-24 7.5 3 8" }).waitFor();
    await checkPhoneScreen(app, "recovery");
    expect(chromium.pageErrors).toEqual([]);
  });

  it("each exercise's name in the workout editor links to its history, by keyboard too", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(r.url);
    await app.setUp("history-link-1", "Gym phone");
    await app.logWorkout("Push day", [
      { name: "Bench Press", sets: [{ reps: 5, weight: 80, unit: "kg", rpe: null }] },
      { name: "Landmine Twist", sets: [{ reps: 10, weight: 20, unit: "kg", rpe: null }] },
    ]);
    const exercises = page.getByTestId("exercise");
    await exercises.nth(1).waitFor();
    expect(await exercises.getByRole("heading").getByRole("link").allTextContents()).toEqual(["Bench Press", "Landmine Twist"]);
    await checkPhoneScreen(app, "workout editor");

    await exercises.getByRole("link", { name: "Bench Press", exact: true }).press("Enter");
    await page.getByTestId("exercise-figures").filter({ hasText: "5 × 80 kg" }).waitFor();
    expect(new URL(page.url()).hash).toBe("#/exercise/Bench%20Press");
    await page.goBack();
    await exercises.getByRole("link", { name: "Landmine Twist", exact: true }).click();
    await page.getByRole("heading", { name: "Landmine Twist" }).waitFor();
    await page.getByTestId("exercise-figures").filter({ hasText: "10 × 20 kg" }).waitFor();
    await page.goBack();
    await page.getByTestId("workout-title").filter({ hasText: "Push day" }).waitFor();
    expect(chromium.pageErrors).toEqual([]);
  });
});
