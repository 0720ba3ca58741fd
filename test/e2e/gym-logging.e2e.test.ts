// Logging in the gym on a phone: repeating last session's sets takes one tap a set (at most two),
// with no typing; a number field's content is replaced by what is typed, not added to; steppers
// move reps by one and weight by a plate; a removed set or exercise comes back with Undo.
// Taps are counted in the page (every pointerdown the app receives), keystrokes likewise.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { AppPage, TypedExercise } from "../support/app-page.js";
import { EXERCISE_LIBRARY } from "../../relay/catalog/exercise-library.js";
import type { Relay } from "../../relay/server.js";
import { waitFor } from "../support/devices.js";
import { browser, database, nodeDevice, relay } from "./fixtures.js";

const PUSH_DAY: TypedExercise[] = [
  { name: "Bench Press", sets: [80, 80, 77.5].map((weight) => ({ reps: 5, weight, unit: "kg" as const, rpe: null })) },
  { name: "Overhead Press", sets: [50, 50, 50].map((weight) => ({ reps: 6, weight, unit: "kg" as const, rpe: null })) },
  { name: "Dip", sets: [8, 8, 7].map((reps) => ({ reps, weight: 0, unit: "kg" as const, rpe: null })) },
];

async function phone(user: string): Promise<{ app: AppPage; page: Page; pageErrors: Error[]; relay: Relay }> {
  const db = await database();
  const r = await relay(db);
  await r.publishExerciseLibrary(EXERCISE_LIBRARY);
  const { app, chromium } = await browser();
  const { page } = chromium;
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(r.url);
  await app.setUp(user, "Gym phone");
  return { app, page, pageErrors: chromium.pageErrors, relay: r };
}

/** Counts from now on every tap (pointerdown) and key press the page receives. */
async function countInput(page: Page): Promise<() => Promise<{ taps: number; keys: number }>> {
  await page.evaluate(() => {
    const counts = { taps: 0, keys: 0 };
    Object.assign(window, { inputCounts: counts });
    document.addEventListener("pointerdown", () => (counts.taps += 1), true);
    document.addEventListener("keydown", () => (counts.keys += 1), true);
  });
  return () => page.evaluate(() => (window as unknown as { inputCounts: { taps: number; keys: number } }).inputCounts);
}

function setRow(page: Page, exercise: string, n: number) {
  return page.getByTestId("exercise").filter({ has: page.getByRole("heading", { name: exercise, exact: true }) }).getByTestId("set-row").nth(n - 1);
}

describe("logging sets in the gym", () => {
  it("repeating last session's 3 exercises × 3 sets takes at most 2 taps a set and no typing: values shown and pre-filled, each set checked off, the workout finished", async () => {
    const { app, page, pageErrors } = await phone("gym-1");
    await app.logWorkout("Push day", PUSH_DAY);
    await app.backToList();

    const counted = await countInput(page);
    await page.getByRole("button", { name: "Repeat Push day" }).click();
    await page.getByTestId("workout-title").filter({ hasText: "Push day" }).waitFor();
    await app.workoutShows(PUSH_DAY);
    for (const exercise of PUSH_DAY) {
      for (const [i, set] of exercise.sets.entries()) {
        const label = `${exercise.name} set ${i + 1}`;
        await expect.poll(() => setRow(page, exercise.name, i + 1).getByTestId("set-previous").textContent()).toBe(`Last: ${set.weight} kg × ${set.reps}`);
        await page.getByRole("button", { name: `Done: ${label}`, exact: true }).click();
        await page.locator(`[data-testid="set-row"][data-done="true"]`, { has: page.getByLabel(`${label} reps`, { exact: true }) }).waitFor();
      }
    }
    await page.getByRole("button", { name: "Finish workout" }).click();
    await page.getByTestId("finished").waitFor();
    const { taps, keys } = await counted();

    const sets = PUSH_DAY.reduce((n, e) => n + e.sets.length, 0);
    expect(keys).toBe(0);
    expect(taps).toBeLessThanOrEqual(2 * sets);
    expect(taps).toBe(sets + 2); // repeat, one check a set, finish
    await app.workoutShows(PUSH_DAY);
    expect(await page.locator('[data-testid="set-row"][data-done="true"]').count()).toBe(sets);
    expect(pageErrors).toEqual([]);
  });

  it("a number field selects its content on focus (7 then 8 is 8, not 87); steppers move reps by one and weight by the plate increment; + Add set copies the last set, not done", async () => {
    const { app, page, pageErrors } = await phone("gym-2");
    await app.logWorkout("Legs", [{ name: "Back Squat", sets: [{ reps: 7, weight: 100, unit: "kg", rpe: null }] }]);

    const reps = page.getByLabel("Back Squat set 1 reps", { exact: true });
    await reps.click();
    await page.keyboard.type("8");
    await page.keyboard.press("Enter");
    await app.workoutSaved();
    await expect.poll(() => reps.inputValue()).toBe("8");

    await page.getByRole("button", { name: "One rep more, Back Squat set 1", exact: true }).click();
    await page.getByRole("button", { name: "2.5 kg more, Back Squat set 1", exact: true }).click();
    await page.getByRole("button", { name: "2.5 kg more, Back Squat set 1", exact: true }).click();
    await page.getByRole("button", { name: "2.5 kg less, Back Squat set 1", exact: true }).click();
    await app.workoutShows([{ name: "Back Squat", sets: [{ reps: 9, weight: 102.5, unit: "kg", rpe: null }] }]);

    await page.getByRole("button", { name: "Add set to Back Squat", exact: true }).click();
    await app.setCount("Back Squat", 2);
    await app.workoutShows([{ name: "Back Squat", sets: [{ reps: 9, weight: 102.5, unit: "kg", rpe: null }, { reps: 9, weight: 102.5, unit: "kg", rpe: null }] }]);
    await expect.poll(() => setRow(page, "Back Squat", 2).getAttribute("data-done")).toBe("false");

    // What the page shows is what is stored: a reload shows the same.
    await app.workoutSaved();
    await page.reload();
    await app.workoutShows([{ name: "Back Squat", sets: [{ reps: 9, weight: 102.5, unit: "kg", rpe: null }, { reps: 9, weight: 102.5, unit: "kg", rpe: null }] }]);
    expect(pageErrors).toEqual([]);
  });

  it("exercises come from the library (searched by name or muscle group, recently used first, custom allowed); a removed set or exercise comes back with Undo; exercises reorder; Finish syncs the completion time", async () => {
    const { app, page, pageErrors, relay: r } = await phone("gym-3");
    await app.logWorkout("Pull", [{ name: "Barbell Row", sets: [{ reps: 8, weight: 60, unit: "kg", rpe: null }, { reps: 8, weight: 62.5, unit: "kg", rpe: null }] }]);
    await app.backToList();

    await page.getByRole("button", { name: "Start workout" }).click();
    await page.getByTestId("workout-title").waitFor();
    const choices = page.getByTestId("exercise-choice");
    const names = async () => (await choices.locator(".picker-name").allTextContents());
    const pick = async (name: string) => {
      await page.getByRole("button", { name: "+ Add exercise" }).click();
      await choices.first().waitFor();
      await choices.filter({ has: page.locator(".picker-name", { hasText: new RegExp(`^${name}$`) }) }).click();
      await page.getByRole("heading", { name, exact: true }).waitFor();
    };

    await page.getByRole("button", { name: "+ Add exercise" }).click();
    await expect.poll(names).toContain("Back Squat"); // the library has synced in
    expect((await names())[0]).toBe("Barbell Row"); // used last session
    await page.getByLabel("Search exercises", { exact: true }).fill("quads");
    await expect.poll(names).toEqual(["Back Squat", "Front Squat", "Leg Press", "Walking Lunge"]);
    await page.getByLabel("Search exercises", { exact: true }).fill("zercher squat");
    await expect.poll(names).toEqual([]);
    await page.getByRole("button", { name: "Add “zercher squat”" }).click();
    await page.getByRole("heading", { name: "zercher squat", exact: true }).waitFor();
    await pick("Back Squat");
    await pick("Barbell Row");
    // Last session's sets, pre-filled, not done.
    await app.workoutShows([
      { name: "zercher squat", sets: [] },
      { name: "Back Squat", sets: [] },
      { name: "Barbell Row", sets: [{ reps: 8, weight: 60, unit: "kg", rpe: null }, { reps: 8, weight: 62.5, unit: "kg", rpe: null }] },
    ]);

    await page.getByRole("button", { name: "Move Back Squat up", exact: true }).click();
    await expect.poll(() => page.getByTestId("exercise").locator("h3").allTextContents()).toEqual(["Back Squat", "zercher squat", "Barbell Row"]);

    const row = (sets: TypedExercise["sets"]) => [
      { name: "Back Squat", sets: [] },
      { name: "zercher squat", sets: [] },
      { name: "Barbell Row", sets },
    ];
    await page.getByRole("button", { name: "Remove Barbell Row set 1", exact: true }).click();
    await app.workoutShows(row([{ reps: 8, weight: 62.5, unit: "kg", rpe: null }]));
    await page.getByTestId("undo-bar").filter({ hasText: "Barbell Row set 1 removed" }).getByRole("button", { name: "Undo" }).click();
    await app.workoutShows(row([{ reps: 8, weight: 60, unit: "kg", rpe: null }, { reps: 8, weight: 62.5, unit: "kg", rpe: null }]));

    await page.getByRole("button", { name: "Remove Back Squat", exact: true }).click();
    await expect.poll(() => page.getByTestId("exercise").locator("h3").allTextContents()).toEqual(["zercher squat", "Barbell Row"]);
    await page.getByTestId("undo-bar").filter({ hasText: "Back Squat removed" }).getByRole("button", { name: "Undo" }).click();
    await app.workoutShows(row([{ reps: 8, weight: 60, unit: "kg", rpe: null }, { reps: 8, weight: 62.5, unit: "kg", rpe: null }]));

    await app.workoutState("synced");
    await page.getByRole("button", { name: "Finish workout" }).click();
    await page.getByTestId("finished").waitFor();
    // Finishing syncs at once: another device of the person sees when it ended.
    const tablet = await nodeDevice(r.syncUrl, "gym-3");
    await tablet.client.syncNow();
    const started = tablet.client.list("workout")[0]!;
    await waitFor(tablet.client, async () => (await tablet.client.get<"workout">(started.id))!.payload.completedAt !== null);
    expect((await tablet.client.get<"workout">(started.id))!.payload.exercises.map((e) => e.name)).toEqual(["Back Squat", "zercher squat", "Barbell Row"]);
    expect(pageErrors).toEqual([]);
  });
});
