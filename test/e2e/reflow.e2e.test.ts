// Text that reflows at 200 % (WCAG 1.4.4 and 1.4.10): a 390 px phone zoomed to 200 % lays the
// page out in 195 CSS px, so the main screens are drawn at that width and checked for what a
// person zooming in would meet: no sideways scroll, and no control cut off (outside the page's
// width, its text overflowing it, or hidden by a box that clips it).
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { browser, database, relay } from "./fixtures.js";

const ZOOMED_WIDTH = 390 / 2;

/** What does not reflow on the page as it is: sideways scroll, and each control cut off, named. */
function reflowProblems(page: Page): Promise<string[]> {
  return page.evaluate((width) => {
    const problems: string[] = [];
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth > width + 0.5) problems.push(`page ${scrollWidth} px wide`);
    const controls = document.querySelectorAll<HTMLElement>('a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"]');
    for (const el of controls) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === "hidden" || el.closest(".visually-hidden")) continue;
      const name = `${el.tagName.toLowerCase()} "${(el.getAttribute("aria-label") ?? el.textContent).trim().slice(0, 30)}"`;
      if (box.left < -0.5 || box.right > width + 0.5) problems.push(`${name} spans ${box.left.toFixed(0)}–${box.right.toFixed(0)} px`);
      // Text wider than its button or link is cut off or spills out (inputs scroll their own text).
      if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement) && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
        problems.push(`${name}: text ${el.scrollWidth} px in ${el.clientWidth} px`);
      }
      for (let box2 = el.parentElement; box2; box2 = box2.parentElement) {
        if (getComputedStyle(box2).overflowX === "visible") continue;
        const clip = box2.getBoundingClientRect();
        if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) problems.push(`${name} clipped by ${box2.tagName.toLowerCase()}.${box2.className}`);
        break;
      }
    }
    return problems;
  }, ZOOMED_WIDTH);
}

describe("text at 200 %", () => {
  it("reflows on the main screens: no sideways scroll, no control cut off", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.setViewportSize({ width: ZOOMED_WIDTH, height: 422 });
    await page.goto(r.url);
    const check = async (screen: string) => expect.soft(await reflowProblems(page), screen).toEqual([]);
    await check("setup");
    await app.setUp("reflow-1", "Gym phone");
    await app.connection("Online");
    await check("workouts, empty");

    await page.getByRole("link", { name: "+ New workout" }).click();
    await check("new workout form");
    await page.goBack();
    await app.logWorkout("Heavy lower body day", [{ name: "Romanian Deadlift", sets: [{ reps: 8, weight: 102.5, unit: "kg", rpe: 8 }] }]);
    await check("workout editor");
    await page.getByTestId("exercise").getByRole("link", { name: "Romanian Deadlift", exact: true }).click();
    await page.getByTestId("exercise-figures").waitFor();
    await check("exercise history");
    await app.screen("Workouts");
    await app.listItem("Heavy lower body day").waitFor();
    await check("workouts");

    for (const name of ["Review", "Activity", "Data"] as const) {
      await app.screen(name);
      await check(name);
    }
    for (const [link, ready] of [
      ["Volume", "volume-table"],
      ["Recovery", undefined],
      ["Progression", undefined],
      ["Profile", undefined],
      ["Account", undefined],
    ] as const) {
      await page.getByRole("link", { name: link, exact: true }).click();
      await (ready ? page.getByTestId(ready) : page.getByRole("heading", { name: link, exact: true })).first().waitFor();
      await check(link);
    }
    expect(chromium.pageErrors).toEqual([]);
  }, 180_000); // a dozen screens: slow on a loaded two-core machine
});
