// All of the person's data out and back in: JSON with its history and CSV per set; a device starting over elsewhere
// that imports the JSON shows the same workouts, and importing twice duplicates nothing.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { TypedExercise } from "../support/app-page.js";
import { browser, database, nodeDevice, relay } from "./fixtures.js";

const PUSH: TypedExercise[] = [
  {
    name: "Bench Press",
    sets: [
      { reps: 5, weight: 80, unit: "kg", rpe: 7 },
      { reps: 5, weight: 82.5, unit: "kg", rpe: null },
    ],
  },
];
const PULL: TypedExercise[] = [{ name: "Barbell Row", sets: [{ reps: 8, weight: 135, unit: "lb", rpe: 8.5 }] }];

async function download(page: Page, button: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: button }).click()]);
  return readFileSync(await file.path(), "utf8");
}

describe("export and import", () => {
  it("exports JSON and CSV; a device starting over on a new sync server imports the JSON and shows the same workouts, and importing again adds nothing", async () => {
    const db = await database();
    const first = await relay(db);
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.goto(first.url);
    await app.setUp("lifter-x", "Phone");
    await app.offlineReady();
    await app.logWorkout("Push", PUSH);
    await app.workoutState("synced");
    await app.backToList();

    // The tablet logs a workout for the same minute: offered as a possible duplicate, kept as two.
    const tablet = await nodeDevice(first.syncUrl, "lifter-x");
    await tablet.client.syncNow();
    const push = await tablet.client.get<"workout">(tablet.client.list("workout")[0]!.id);
    await tablet.client.create("workout", {
      title: 'Pull, "heavy"',
      startedAt: push!.payload.startedAt + 1000,
      completedAt: null,
      notes: "",
      exercises: PULL.map((e, i) => ({ id: `pull-${i}`, name: e.name, sets: e.sets.map((s, j) => ({ id: `pull-${i}-${j}`, ...s, completed: true })) })),
    });
    await tablet.client.syncNow();
    await app.listState('Pull, "heavy"', "synced");
    await app.screen("Review");
    await page.getByTestId("duplicate-item").getByRole("link", { name: "Compare" }).click();
    await page.getByTestId("duplicate-review").waitFor();
    expect(await app.seriousViolations()).toEqual([]);
    await page.getByRole("button", { name: "Keep both" }).click();
    await page.getByTestId("duplicate-item").waitFor({ state: "detached" });

    await app.screen("Data");
    expect(await app.seriousViolations()).toEqual([]);
    const exported = JSON.parse(await download(page, "Export JSON")) as { entities: { type: string }[] };
    expect(exported.entities.map((e) => e.type)).toEqual(["workout", "workout"]);
    const csv = (await download(page, "Export CSV")).split("\r\n");
    expect(csv[0]).toBe("date,workout,exercise,set,reps,weight,unit,rpe");
    expect(csv.slice(1, -1).map((row) => row.replace(/^[^,]+,/, ""))).toEqual([
      "Push,Bench Press,1,5,80,kg,7",
      "Push,Bench Press,2,5,82.5,kg,",
      '"Pull, ""heavy""",Barbell Row,1,8,135,lb,8.5',
    ]);
    expect(csv.at(-1)).toBe("");

    // The person starts over on a new sync server (an empty database): a fresh device store, and
    // nothing that can come back by sync.
    await first.close();
    const second = await relay(await database());
    await page.goto(second.url);
    await app.setUp("lifter-x", "Phone");
    await page.getByTestId("empty-list").waitFor();
    chromium.pageErrors.length = 0; // the page the wipe pulled storage from under

    const importFile = async (report: string) => {
      await app.screen("Data");
      await page.getByLabel("Import a JSON export").setInputFiles({ name: "export.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(exported)) });
      await page.getByTestId("data-message").filter({ hasText: report }).waitFor();
    };
    await importFile("Imported: 2 added, 0 updated, 0 already here.");
    await importFile("Imported: 0 added, 0 updated, 2 already here.");
    await app.screen("Workouts");
    expect(await app.page.getByTestId("workout-item").allTextContents()).toHaveLength(2);
    for (const [title, workout] of [["Push", PUSH], ['Pull, "heavy"', PULL]] as const) {
      await app.openWorkout(title);
      await app.workoutShows(workout);
      await app.backToList();
    }

    // The imported workouts reach the new server once each: another device sees two, not four.
    await app.syncNow();
    await app.listState("Push", "synced");
    await app.listState('Pull, "heavy"', "synced");
    expect(await app.page.getByTestId("workout-item").count()).toBe(2);
    const laptop = await nodeDevice(second.syncUrl, "lifter-x", "laptop");
    await laptop.client.syncNow();
    expect(laptop.client.list("workout").map((w) => w.title).sort()).toEqual(['Pull, "heavy"', "Push"]);
    expect(chromium.pageErrors).toEqual([]);
  });
});
