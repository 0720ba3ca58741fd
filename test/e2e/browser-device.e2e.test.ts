// The browser as a device: real Chromium running the built app (IndexedDB storage), a real
// relay serving it on one port with real Postgres behind, and a Node device of the same person.
import { describe, expect, it } from "vitest";
import type { TypedExercise } from "../support/app-page.js";
import { waitFor } from "../support/devices.js";
import { browser, database, nodeDevice, relay } from "./fixtures.js";

/** A Node device's copy of a workout, in the shape the page shows. */
function asTyped(exercises: { name: string; sets: TypedExercise["sets"] }[]): TypedExercise[] {
  return exercises.map((e) => ({ name: e.name, sets: e.sets.map(({ reps, weight, unit, rpe }) => ({ reps, weight, unit, rpe })) }));
}

const LEG_DAY: TypedExercise[] = [
  {
    name: "Back Squat",
    sets: [
      { reps: 5, weight: 100, unit: "kg", rpe: 7 },
      { reps: 5, weight: 105, unit: "kg", rpe: 8.5 },
    ],
  },
  {
    name: "Romanian Deadlift",
    sets: [
      { reps: 8, weight: 135, unit: "lb", rpe: null },
      { reps: 8, weight: 135, unit: "lb", rpe: 9 },
      { reps: 6, weight: 145, unit: "lb", rpe: 9.5 },
    ],
  },
];

describe("the browser as an offline-first device", () => {
  it("a workout logged with the relay down is kept in IndexedDB across a reload with no network (the service worker serves the app), then syncs to a Node device exactly", async () => {
    const db = await database();
    const first = await relay(db);
    const port = first.port;
    const { app, chromium } = await browser();
    const { page } = chromium;

    await page.goto(first.url);
    await page.getByLabel("Email", { exact: true }).waitFor();
    expect(await app.seriousViolations()).toEqual([]);
    await app.setUp("lifter-1", "Test phone");
    await app.connection("Online"); // synced on load
    await app.offlineReady(); // the service worker holds the app's files
    expect(await app.seriousViolations()).toEqual([]);

    // The relay goes away for real: the open WebSocket is closed, not just held.
    await first.close();
    await app.connection("Offline");

    await app.logWorkout("Leg day", LEG_DAY);
    await app.workoutState("saved_on_device");
    expect(await app.readWorkout()).toEqual(LEG_DAY);
    expect(await app.seriousViolations()).toEqual([]);

    // Reload with the network off, nothing on the relay's port and the browser's HTTP cache
    // emptied (as a phone evicts it): only the service worker can serve the app, and the
    // workout is still here, from IndexedDB.
    const cdp = await chromium.context.newCDPSession(page);
    await cdp.send("Network.clearBrowserCache");
    await chromium.context.setOffline(true);
    await page.reload();
    await page.getByTestId("last-error").waitFor(); // the sync on load failed...
    await app.workoutState("saved_on_device"); // ...and the workout is still here
    expect(await app.readWorkout()).toEqual(LEG_DAY);
    await app.connection("Offline");
    await app.backToList();
    await app.listState("Leg day", "saved_on_device");
    // Asking to sync with no network keeps the workout queued, and says so.
    await app.syncNow();
    await app.syncFinished();
    await app.listState("Leg day", "saved_on_device");
    await app.queueDepth(1);
    await page.getByTestId("last-error").waitFor();

    // The relay comes back on the same port and database; the phone's network comes back too,
    // and the browser's `online` event starts the sync (no button, no timer).
    await db.reopen();
    await relay(db, { port });
    await chromium.context.setOffline(false);
    await app.listState("Leg day", "synced");
    await app.queueDepth(0);
    await app.connection("Online");

    const tablet = await nodeDevice(`ws://127.0.0.1:${port}/sync`, "lifter-1");
    await tablet.client.syncNow();
    const [item] = tablet.client.list("workout");
    expect(tablet.client.list("workout").map((w) => w.title)).toEqual(["Leg day"]);
    const onTablet = await tablet.client.get<"workout">(item!.id);
    expect(asTyped(onTablet!.payload.exercises)).toEqual(LEG_DAY);
    expect(chromium.pageErrors).toEqual([]);
  });
});

describe("the browser and a Node device of the same person, both online", () => {
  it("a set added on the Node device appears in the open workout without a reload, and the browser's edits reach the Node device", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page } = chromium;

    await page.goto(r.url);
    await app.setUp("lifter-2", "Test phone");
    await app.connection("Online");
    const pushDay: TypedExercise[] = [
      {
        name: "Bench Press",
        sets: [
          { reps: 5, weight: 80, unit: "kg", rpe: 7 },
          { reps: 5, weight: 80, unit: "kg", rpe: 8 },
        ],
      },
      { name: "Overhead Press", sets: [{ reps: 8, weight: 40, unit: "kg", rpe: null }] },
    ];
    await app.logWorkout("Push day", pushDay);
    await app.workoutState("synced"); // online: pushed right after it was saved

    const tablet = await nodeDevice(r.syncUrl, "lifter-2");
    await tablet.client.syncNow();
    const id = tablet.client.list("workout")[0]!.id;
    await tablet.client.update<"workout">(id, (w) => {
      w.exercises[0]!.sets.push({ id: "tablet-set", reps: 3, weight: 85, unit: "kg", rpe: 9, completed: true });
    });

    await app.setCount("Bench Press", 3);
    const withTabletSet = [{ ...pushDay[0]!, sets: [...pushDay[0]!.sets, { reps: 3, weight: 85, unit: "kg" as const, rpe: 9 }] }, pushDay[1]!];
    expect(await app.readWorkout()).toEqual(withTabletSet);
    await app.workoutState("synced");

    // Now the other way: change a weight, add a set.
    const weight = page.getByLabel("Bench Press set 1 weight", { exact: true });
    await weight.fill("82.5");
    await weight.press("Enter");
    await page.getByRole("button", { name: "Add set to Overhead Press", exact: true }).click();
    await app.setCount("Overhead Press", 2);

    await waitFor(tablet.client, async () => {
      const w = (await tablet.client.get<"workout">(id))!.payload;
      return w.exercises[0]!.sets[0]!.weight === 82.5 && w.exercises[1]!.sets.length === 2;
    });
    const onTablet = (await tablet.client.get<"workout">(id))!.payload;
    expect(asTyped(onTablet.exercises)).toEqual([
      { ...withTabletSet[0]!, sets: [{ ...pushDay[0]!.sets[0]!, weight: 82.5 }, ...withTabletSet[0]!.sets.slice(1)] },
      { ...pushDay[1]!, sets: [pushDay[1]!.sets[0]!, pushDay[1]!.sets[0]!] }, // a new set copies the one before
    ]);
    await app.workoutState("synced");
    expect(chromium.pageErrors).toEqual([]);
  });
});

describe("the browser edits through the three-way path", () => {
  it("a weight typed while another device's edit of the same set arrives is kept and the other value recorded; reps the person did not touch keep the newer change", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.goto(r.url);
    await app.setUp("lifter-4", "Test phone");
    await app.connection("Online");
    await app.logWorkout("Push day", [
      { name: "Bench Press", sets: [{ reps: 5, weight: 80, unit: "kg", rpe: null }] },
      { name: "Dips", sets: [{ reps: 10, weight: 0, unit: "kg", rpe: null }] },
    ]);
    await app.workoutState("synced");
    const tablet = await nodeDevice(r.syncUrl, "lifter-4");
    await tablet.client.syncNow();
    const id = tablet.client.list("workout")[0]!.id;

    // The person starts typing a weight; before they leave the field, the tablet's edit of the
    // same set (reps and weight) arrives, with a set added to the other exercise.
    const weight = page.getByLabel("Bench Press set 1 weight", { exact: true });
    await weight.fill("85");
    await tablet.client.update<"workout">(id, (w) => {
      Object.assign(w.exercises[0]!.sets[0]!, { reps: 6, weight: 90 });
      w.exercises[1]!.sets.push({ id: "tablet-dip", reps: 8, weight: 0, unit: "kg", rpe: null, completed: true });
    });
    await app.setCount("Dips", 2);
    await weight.press("Enter");

    // The weight and the record of the value it replaced may arrive in separate changes.
    await waitFor(
      tablet.client,
      async () => (await tablet.client.get<"workout">(id))!.payload.exercises[0]!.sets[0]!.weight === 85 && tablet.client.resolutions().length > 0,
    );
    expect((await tablet.client.get<"workout">(id))!.payload.exercises[0]!.sets[0]).toMatchObject({ reps: 6, weight: 85 });
    expect(tablet.client.resolutions()).toMatchObject([{ kind: "overwritten", lost: { value: 90 }, losing: { name: "node-tablet" } }]);
    await app.workoutState("synced");
    expect((await app.readWorkout())[0]!.sets[0]).toEqual({ reps: 6, weight: 85, unit: "kg", rpe: null });
    expect(chromium.pageErrors).toEqual([]);
  });
});

describe("the browser on a phone that opens the relay by its LAN address over plain http", () => {
  it("opens its device store and syncs outside a secure context", async () => {
    const db = await database();
    const r = await relay(db);
    const { app, chromium } = await browser({ lanHostAlias: "relay.lan.test" });
    const { page } = chromium;

    await page.goto(`http://relay.lan.test:${r.port}/`);
    // What makes this case: no crypto.randomUUID, no Web Locks.
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    await app.setUp("lifter-3", "LAN phone");
    await app.connection("Online");
    await app.logWorkout("Pull day", [{ name: "Barbell Row", sets: [{ reps: 8, weight: 60, unit: "kg", rpe: 8 }] }]);
    await app.workoutState("synced");
    expect(chromium.pageErrors).toEqual([]);
  });
});
