// The profile screen: display name, units, plate increment and rest are saved on the person's
// user_profile entity, synced to their other devices, and used by the editor (the weight
// stepper's step, the rest timer's length). A value the schema refuses is said, not saved.
import { describe, expect, it } from "vitest";
import { waitFor } from "../support/devices.js";
import { browser, database, nodeDevice, relay } from "./fixtures.js";

describe("the profile and training settings", () => {
  it("plate increment and rest set on the profile drive the steppers and the rest timer, and sync to another device", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page, context } = chromium;
    // Time is Playwright's clock: the rest timer is read against it, and the test moves it.
    await context.clock.install();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(r.url);
    await app.setUp("profile-1", "Gym phone");
    await app.connection("Online");

    await page.getByRole("link", { name: "Profile" }).click();
    const form = page.getByRole("form", { name: "Profile" });
    await form.getByLabel("Display name").fill("Sam");
    await form.getByLabel("Plate increment (kg)").fill("0");
    await form.getByRole("button", { name: "Save profile" }).click();
    await form.getByRole("alert").filter({ hasText: "Plate increment" }).waitFor();

    await form.getByLabel("Plate increment (kg)").fill("1.25");
    await form.getByLabel("Rest between sets (seconds)").fill("60");
    await form.getByRole("button", { name: "Save profile" }).click();
    await form.getByRole("status").filter({ hasText: "Saved on this device" }).waitFor();

    const tablet = await nodeDevice(r.syncUrl, "profile-1");
    await tablet.client.syncNow();
    await waitFor(tablet.client, async () => {
      const id = tablet.client.list("user_profile")[0]?.id;
      return id !== undefined && (await tablet.client.get<"user_profile">(id))?.payload.restSeconds === 60;
    });
    const onTablet = (await tablet.client.get<"user_profile">(tablet.client.list("user_profile")[0]!.id))!.payload;
    expect(onTablet).toMatchObject({ displayName: "Sam", preferredUnit: "kg", plateIncrement: 1.25, restSeconds: 60 });

    await app.screen("Workouts");
    await app.logWorkout("Legs", [{ name: "Back Squat", sets: [{ reps: 5, weight: 100, unit: "kg", rpe: null }] }]);
    await page.getByRole("button", { name: "1.25 kg more, Back Squat set 1", exact: true }).click();
    await app.workoutShows([{ name: "Back Squat", sets: [{ reps: 5, weight: 101.25, unit: "kg", rpe: null }] }]);
    // The form's sets start done: uncheck, check off, and the profile's 60 s rest starts.
    await page.getByRole("button", { name: "Done: Back Squat set 1", exact: true }).click();
    await expect.poll(() => page.getByRole("button", { name: "Done: Back Squat set 1", exact: true }).getAttribute("aria-pressed")).toBe("false");
    // Seconds pass in the editor before the set is checked off (a stale clock in the timer would
    // then draw the new rest longer than it is), and every value the timer ever draws is kept.
    await context.clock.fastForward(5_000);
    await page.evaluate(() => {
      const drawn: number[] = [];
      (window as unknown as { restDrawn: number[] }).restDrawn = drawn;
      const keep = (value: string | null) => {
        if (value !== null) drawn.push(Number(value));
      };
      new MutationObserver((records) => {
        for (const record of records) {
          if (record.type === "attributes") keep(record.oldValue);
          for (const node of record.addedNodes) {
            if (node instanceof Element) node.querySelectorAll("[data-left]").forEach((el) => keep(el.getAttribute("data-left")));
            if (node instanceof Element && node.hasAttribute("data-left")) keep(node.getAttribute("data-left"));
          }
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-left"], attributeOldValue: true });
    });
    await page.getByRole("button", { name: "Done: Back Squat set 1", exact: true }).click();
    const timer = page.getByTestId("rest-timer");
    await timer.waitFor();
    await context.clock.fastForward(3_000);
    await expect.poll(async () => Number(await timer.getAttribute("data-left"))).toBeLessThanOrEqual(57);
    const drawn = await page.evaluate(() => (window as unknown as { restDrawn: number[] }).restDrawn);
    expect(drawn.length).toBeGreaterThan(0);
    // A 60 s rest never shows more than 60.
    expect(Math.max(...drawn)).toBeLessThanOrEqual(60);
    expect(Math.max(...drawn)).toBeGreaterThan(55);
    expect(chromium.pageErrors).toEqual([]);
  });
});
