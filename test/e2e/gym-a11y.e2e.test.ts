// Every screen on a phone, light and dark (following the system's colour scheme): axe-core finds
// no serious or critical violation, and every control a finger uses is at least 44 × 44 CSS px.
import { describe, expect, it } from "vitest";
import { EXERCISE_LIBRARY } from "../../relay/catalog/exercise-library.js";
import { browser, checkPhoneScreen, database, relay } from "./fixtures.js";


describe("accessibility on a phone", () => {
  it("every screen: no serious axe violations light or dark, every control at least 44 × 44", async () => {
    const db = await database();
    const r = await relay(db);
    await r.publishExerciseLibrary(EXERCISE_LIBRARY);
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(r.url);
    await page.getByLabel("Email", { exact: true }).waitFor();
    await checkPhoneScreen(app, "set-up");

    await app.setUp("a11y-1", "Gym phone");
    await app.connection("Online");
    await checkPhoneScreen(app, "empty list");

    await app.logWorkout("Push day", [{ name: "Bench Press", sets: [{ reps: 5, weight: 80, unit: "kg", rpe: 8 }] }]);
    // The editor with everything on it: a rest running, a removal to undo, the picker open.
    await page.getByRole("button", { name: "Add set to Bench Press", exact: true }).click();
    await app.setCount("Bench Press", 2);
    await page.getByRole("button", { name: "Done: Bench Press set 2", exact: true }).click();
    await page.getByTestId("rest-timer").waitFor();
    await page.getByRole("button", { name: "Remove Bench Press set 2", exact: true }).click();
    await page.getByTestId("undo-bar").getByRole("button", { name: "Undo" }).waitFor();
    await page.getByRole("button", { name: "+ Add exercise" }).click();
    await page.getByTestId("exercise-choice").first().waitFor();
    await checkPhoneScreen(app, "workout");
    // Status changes are announced: the connection, what waits, the open workout's save state.
    await page.getByRole("status").filter({ hasText: /^Online$/ }).waitFor();
    await page.getByRole("status").filter({ hasText: /waiting to sync|Nothing waiting/ }).waitFor();
    await page.locator('.workout-meta [role="status"][data-testid="sync-state"]').waitFor();
    await page.getByRole("status").filter({ hasText: "Bench Press set 2 removed" }).waitFor();

    await app.backToList();
    await checkPhoneScreen(app, "list");
    await page.getByRole("link", { name: "+ New workout" }).click();
    await page.getByLabel("Workout title", { exact: true }).waitFor();
    await checkPhoneScreen(app, "new workout");
    for (const screen of ["Review", "Activity", "Data"] as const) {
      await app.screen(screen);
      await page.getByRole("navigation", { name: "Screens" }).getByRole("link", { name: new RegExp(`^${screen}`) }).and(page.locator('[aria-current="page"]')).waitFor();
      await checkPhoneScreen(app, screen);
    }
    expect(chromium.pageErrors).toEqual([]);
  }, 180_000); // every screen light and dark with axe: near 60 s on a loaded two-core machine
});
