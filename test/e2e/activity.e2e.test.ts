// What sync settles without asking is listed on every device of the person, and what it lost
// can be brought back from any of them.
import { describe, expect, it } from "vitest";
import type { TypedExercise } from "../support/app-page.js";
import { browser, database, proxiedBrowser, relay } from "./fixtures.js";

const squat = (sets: [reps: number, weight: number][]): TypedExercise[] => [
  { name: "Back Squat", sets: sets.map(([reps, weight]) => ({ reps, weight, unit: "kg" as const, rpe: null })) },
];

describe("a delete against an edit", () => {
  it("shows on both devices' activity lists what the delete took, and Restore on either brings the edit back on both", async () => {
    const db = await database();
    const r = await relay(db);
    const phone = await proxiedBrowser(r, "lifter-a", "Phone A");
    const { app: tablet, chromium: tabletBrowser } = await browser();
    await tabletBrowser.page.goto(r.url);
    await tablet.setUp("lifter-a", "Tablet B");
    await tablet.connection("Online");
    await phone.app.logWorkout("Leg day", squat([[5, 100], [5, 100]]));
    await phone.app.workoutState("synced");
    await tablet.listState("Leg day", "synced");
    const id = await tablet.listItem("Leg day").getAttribute("data-id");

    // The phone goes offline; the tablet edits the workout, then the phone deletes it (later).
    await phone.offline();
    await tablet.openWorkout("Leg day");
    const weight = tablet.page.getByLabel("Back Squat set 1 weight", { exact: true });
    await weight.fill("120");
    await weight.press("Enter");
    await tablet.workoutState("synced");
    await tablet.backToList();
    // Failed once in CI here, the list never empty: whether the tap was lost (no question came)
    // or the delete did not go through, it now says, with what the phone showed.
    const asked = { yes: false };
    phone.app.page.once("dialog", (dialog) => {
      asked.yes = true;
      void dialog.accept();
    });
    await phone.app.page.getByRole("button", { name: "Delete workout" }).click();
    try {
      await phone.app.page.getByTestId("empty-list").waitFor();
    } catch (err) {
      const shown = await phone.app.page.locator("main").innerText();
      const question = asked.yes ? "the phone asked and was told yes" : "no question came: the tap was lost";
      throw new Error(`${String(err)}\n${question}\nThe phone showed: ${shown}\nIts navigations: ${phone.chromium.navigations.join(", ")}`, { cause: err });
    }

    // Back online: the later write (the delete) wins, and the edit it took is listed on both.
    await phone.online();
    for (const [device, its] of [
      [phone.app, phone.chromium],
      [tablet, tabletBrowser],
    ] as const) {
      // Failed twice in CI: the count came, the tap on Activity was lost as the status grew under
      // it (steady-layout.e2e.test.ts), the list stayed. Should it fail again, it says where it went.
      try {
        await device.page.locator('[data-testid="activity-count"][data-count="1"]').waitFor();
        await device.screen("Activity");
        const item = device.activityItems("edit_lost_to_delete", id!);
        await item.getByText("“Leg day” was deleted, and an edit from Tablet B was lost").waitFor();
        expect(await item.getByRole("list", { name: "What was lost" }).textContent()).toBe("Back Squat: 5 × 120 kg");
        await device.page.getByTestId("activity-count").waitFor({ state: "detached" }); // seen
      } catch (err) {
        const shown = await device.page.locator("main").innerText();
        const which = device === tablet ? "The tablet" : "The phone";
        throw new Error(`${String(err)}\n${which} showed: ${shown}\nIts navigations: ${its.navigations.join(", ")}`, { cause: err });
      }
    }
    expect(await phone.app.seriousViolations()).toEqual([]);
    await tablet.screen("Workouts");
    await tablet.page.getByTestId("empty-list").waitFor();

    await tablet.screen("Activity");
    await tablet.activityItems("edit_lost_to_delete", id!).getByRole("button", { name: "Restore" }).click();
    for (const device of [tablet, phone.app]) {
      await device.activityItems("edit_lost_to_delete", id!).getByTestId("restored").waitFor();
      await device.screen("Workouts");
      await device.listState("Leg day", "synced");
      await device.openWorkout("Leg day");
      await device.workoutShows(squat([[5, 120], [5, 100]]));
      await device.screen("Activity");
    }
    expect(phone.chromium.pageErrors).toEqual([]);
    expect(tabletBrowser.pageErrors).toEqual([]);
  });
});
