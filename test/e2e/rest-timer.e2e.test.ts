// The rest timer: started when a set is checked off (the profile's rest, 90 s by default), shown
// counting down, still there after a reload (its end time is stored), and the phone vibrates
// once when it is over. Time is Playwright's fake clock, moved forward by the test: no sleeps.
import { describe, expect, it } from "vitest";
import { browser, database, relay } from "./fixtures.js";

describe("the rest timer", () => {
  it("starts on check-off, counts down, survives a reload, vibrates once when over", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page, context } = chromium;
    // Every vibration the app asks for, kept across reloads.
    await context.addInitScript(() => {
      Object.defineProperty(Navigator.prototype, "vibrate", {
        configurable: true,
        value: (pattern: number | number[]) => {
          const calls = JSON.parse(sessionStorage.getItem("vibrations") ?? "[]") as unknown[];
          sessionStorage.setItem("vibrations", JSON.stringify([...calls, pattern]));
          return true;
        },
      });
    });
    await context.clock.install();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(r.url);
    await app.setUp("rest-1", "Gym phone");
    await app.logWorkout("Legs", [{ name: "Back Squat", sets: [{ reps: 5, weight: 100, unit: "kg", rpe: null }, { reps: 5, weight: 100, unit: "kg", rpe: null }] }]);

    const timer = page.getByTestId("rest-timer");
    const left = async () => Number(await timer.getAttribute("data-left"));
    const vibrations = () => page.evaluate(() => JSON.parse(sessionStorage.getItem("vibrations") ?? "[]") as unknown[]);
    expect(await timer.count()).toBe(0);

    // Done sets start as done from the form: uncheck, then check off.
    await page.getByRole("button", { name: "Done: Back Squat set 1", exact: true }).click();
    await expect.poll(() => page.getByRole("button", { name: "Done: Back Squat set 1", exact: true }).getAttribute("aria-pressed")).toBe("false");
    expect(await timer.count()).toBe(0);
    await page.getByRole("button", { name: "Done: Back Squat set 1", exact: true }).click();
    await timer.waitFor();
    await expect.poll(left).toBeGreaterThan(80);
    expect(await left()).toBeLessThanOrEqual(90);
    await expect.poll(() => timer.textContent()).toContain("after Back Squat set 1");

    await context.clock.fastForward(40_000);
    await expect.poll(left).toBeLessThanOrEqual(50);
    expect(await left()).toBeGreaterThan(35);

    await page.reload();
    await timer.waitFor();
    await expect.poll(left).toBeLessThanOrEqual(50);
    expect(await left()).toBeGreaterThan(35);
    expect(await vibrations()).toEqual([]);

    await context.clock.fastForward(60_000);
    await expect.poll(() => timer.locator('[role="timer"]').textContent()).toBe("Rest over");
    await expect.poll(vibrations).toHaveLength(1);
    // Over and signalled: a reload does not vibrate again.
    await page.reload();
    await expect.poll(() => timer.locator('[role="timer"]').textContent()).toBe("Rest over");
    await page.getByRole("button", { name: "Dismiss" }).click();
    await expect.poll(() => timer.count()).toBe(0);
    expect(await vibrations()).toHaveLength(1);
    expect(chromium.pageErrors).toEqual([]);
  });
});
