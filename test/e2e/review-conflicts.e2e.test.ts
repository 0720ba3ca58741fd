// Two browser devices of one person edit the same workouts, one of them offline: the device that
// comes back second is asked to choose, side by side, and each of the three choices leaves both
// devices showing the same workout.
import { describe, expect, it } from "vitest";
import type { TypedExercise } from "../support/app-page.js";
import { browser, database, proxiedBrowser, relay } from "./fixtures.js";

const squat = (sets: [reps: number, weight: number][]): TypedExercise[] => [
  { name: "Back Squat", sets: sets.map(([reps, weight]) => ({ reps, weight, unit: "kg" as const, rpe: null })) },
];

describe("a workout changed on two devices", () => {
  it("asks the device that synced second to choose; keep mine, keep theirs and merge both each leave both devices with the same workout", async () => {
    const db = await database();
    const r = await relay(db);
    const phone = await proxiedBrowser(r, "lifter-c", "Phone A");
    const { app: tablet, chromium: tabletBrowser } = await browser();
    await tabletBrowser.page.goto(r.url);
    await tablet.setUp("lifter-c", "Tablet B");
    await tablet.connection("Online");

    for (const title of ["Monday", "Wednesday", "Friday"]) {
      await phone.app.logWorkout(title, squat([[5, 100], [5, 100]]));
      await phone.app.workoutState("synced");
      await phone.app.backToList();
    }
    for (const title of ["Monday", "Wednesday", "Friday"]) await tablet.listState(title, "synced");

    // The phone loses its signal and logs on; the tablet edits the same workouts, online.
    await phone.offline();
    const phoneEdits: [string, () => Promise<void>][] = [
      ["Monday", () => setValue(phone.app, "Back Squat set 1 weight", "110")],
      ["Wednesday", () => setValue(phone.app, "Back Squat set 1 weight", "110")],
      [
        "Friday",
        async () => {
          await setValue(phone.app, "Back Squat set 1 weight", "110");
          await phone.app.page.getByRole("button", { name: "Add set to Back Squat", exact: true }).click();
          await phone.app.setCount("Back Squat", 3);
        },
      ],
    ];
    for (const [title, edit] of phoneEdits) {
      await phone.app.openWorkout(title);
      await edit();
      await phone.app.workoutState("saved_on_device");
      await phone.app.backToList();
    }
    const tabletEdits: [string, string, string][] = [
      ["Monday", "Back Squat set 1 weight", "95"],
      ["Wednesday", "Back Squat set 2 reps", "3"],
      ["Friday", "Back Squat set 1 reps", "6"],
    ];
    for (const [title, field, value] of tabletEdits) {
      await tablet.openWorkout(title);
      await setValue(tablet, field, value);
      await tablet.workoutState("synced");
      await tablet.backToList();
    }

    // Back online, the phone finds all three changed on the tablet too, and is asked.
    await phone.online();
    await phone.app.conflictCount(3);
    await phone.app.page.getByTestId("review-prompt").waitFor();
    expect(await phone.app.seriousViolations()).toEqual([]);
    // The tablet synced first: nothing for it to choose (workouts logged in one minute do show
    // there as possible duplicates, which is another prompt).
    expect(await tablet.page.getByTestId("conflict-count").count()).toBe(0);
    await phone.app.screen("Review");
    await phone.app.page.getByTestId("conflict-item").nth(2).waitFor();
    expect(await phone.app.seriousViolations()).toEqual([]);
    await phone.app.reviewConflict("Monday");
    expect(await phone.app.seriousViolations()).toEqual([]);
    const mine = phone.app.page.getByTestId("version-mine");
    const theirs = phone.app.page.getByTestId("version-theirs");
    await expect.soft(mine.getByRole("heading", { name: "Phone A" }).count()).resolves.toBe(1);
    await expect.soft(theirs.getByRole("heading", { name: "Tablet B" }).count()).resolves.toBe(1);
    expect(await mine.locator('[data-mark="changed"] mark').allTextContents()).toEqual(["110"]);
    expect(await theirs.locator('[data-mark="changed"] mark').allTextContents()).toEqual(["95"]);
    expect(await theirs.textContent()).toMatch(/Other device · changed/);

    await phone.app.page.getByRole("button", { name: "Keep Phone A" }).click();
    await phone.app.conflictCount(2);
    await phone.app.reviewConflict("Wednesday");
    await phone.app.page.getByRole("button", { name: "Keep Tablet B" }).click();
    await phone.app.conflictCount(1);
    await phone.app.reviewConflict("Friday");
    await phone.app.page.getByRole("button", { name: "Merge both" }).click();
    await phone.app.page.getByTestId("workout-title").filter({ hasText: "Friday" }).waitFor();
    await phone.app.page.getByTestId("conflict-count").waitFor({ state: "detached" });

    const expected: Record<string, TypedExercise[]> = {
      Monday: squat([[5, 110], [5, 100]]), // the phone's
      Wednesday: squat([[5, 100], [3, 100]]), // the tablet's
      // Both: the set both changed twice (the tablet's, then the phone's marked), the phone's new set (a copy of the last).
      Friday: squat([[6, 100], [5, 110], [5, 100], [5, 100]]),
    };
    for (const device of [phone.app, tablet]) {
      await device.screen("Workouts");
      for (const [title, workout] of Object.entries(expected)) {
        await device.listState(title, "synced");
        await device.openWorkout(title);
        await device.workoutShows(workout);
        await device.backToList();
      }
    }
    // The phone's Sync health screen counts the three choices, one of each kind (the protocol's
    // ResolutionKind numbers: 7 mine, 8 theirs, 9 merge), each on a workout; the tablet settled nothing.
    await phone.app.page.getByTestId("sync-health-link").click();
    for (const kind of [7, 8, 9]) await phone.app.page.locator(`[data-testid="health-settled"] tr[data-entity-type="workout"][data-kind="${kind}"][data-count="1"]`).waitFor();
    expect(await phone.app.page.locator('[data-testid="health-settled"] tr').count()).toBe(4); // with the header row
    const rows = await phone.app.page.locator('[data-testid="health-settled"] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(rows).toEqual([
      ["Workout", "You chose this device's version", "1"],
      ["Workout", "You chose the other device's version", "1"],
      ["Workout", "You chose to merge both", "1"],
    ]);
    expect(await phone.app.seriousViolations()).toEqual([]);
    await tablet.openWorkout("Friday");
    expect(await tablet.page.getByTestId("kept-from").allTextContents()).toEqual(["Phone A's version of set 1, kept by “Merge both”"]);
    expect(await tablet.seriousViolations()).toEqual([]);
    expect(phone.chromium.pageErrors).toEqual([]);
    expect(tabletBrowser.pageErrors).toEqual([]);
  }, 180_000); // two browsers and three choices: 140 s on a loaded two-core machine
});

async function setValue(app: { page: import("playwright-core").Page }, label: string, value: string): Promise<void> {
  const field = app.page.getByLabel(label, { exact: true });
  await field.fill(value);
  await field.press("Enter");
}
