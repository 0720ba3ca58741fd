// A change the relay refuses is never stuck unseen: it is counted on the status bar, listed with
// the reason in words, and tried again by Retry or by Sync now.
import { describe, expect, it } from "vitest";
import { withAdmin } from "../support/databases.js";
import { browser, database, nodeDevice, relay } from "./fixtures.js";

describe("a change the relay refuses", () => {
  it("is counted and listed with its reason, stays listed when a retry is refused again, and Sync now sends it once it may pass", async () => {
    const db = await database();
    const first = await relay(db);
    const { port } = first;
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.goto(first.url);
    await app.setUp("lifter-r", "Phone");
    for (const title of ["Leg day", "Arms"]) {
      await app.logWorkout(title, [{ name: "Curl", sets: [{ reps: 10, weight: 20, unit: "kg", rpe: null }] }]);
      await app.workoutState("synced");
      await app.backToList();
    }

    // The relay comes back from a restore that lost the workouts (the accounts survived): it has
    // version 0 of what this device holds at version 1, and refuses changes built on a version
    // from its future.
    await first.close();
    await withAdmin((admin) =>
      admin.query(`ALTER TABLE ${db.schema}.entities RENAME TO entities_lost; CREATE TABLE ${db.schema}.entities (LIKE ${db.schema}.entities_lost INCLUDING ALL)`),
    );
    await db.reopen();
    const behind = await relay(db, { port });
    for (const title of ["Leg day", "Arms"]) {
      await app.openWorkout(title);
      const weight = page.getByLabel("Curl set 1 weight", { exact: true });
      await weight.fill("22.5");
      await weight.press("Enter");
      // Saved here; refused already if the app reconnected to the relay meanwhile.
      await app.workoutSaved();
      await app.backToList();
    }
    await app.syncNow();
    await page.locator('[data-testid="refused-count"][data-count="2"]').click();
    const armsRow = page.getByTestId("refused-item").filter({ hasText: "Arms" });
    expect(await armsRow.getByTestId("refusal-reason").textContent()).toBe(
      "The sync server is behind this device (it may have lost data): version 1 is from the future: the relay has version 0.",
    );
    expect(await app.seriousViolations()).toEqual([]);

    // Retried while the relay is still behind: refused again, and still listed.
    const refusedAt = await armsRow.getAttribute("data-refused-at");
    await armsRow.getByRole("button", { name: "Retry" }).click();
    await page.locator(`[data-testid="refused-item"]:not([data-refused-at="${refusedAt}"])`).filter({ hasText: "Arms" }).waitFor();
    await page.locator('[data-testid="refused-count"][data-count="2"]').waitFor();
    await app.screen("Workouts");
    await app.listState("Leg day", "needs_attention");
    await app.listState("Arms", "needs_attention");

    // The relay's data is back: Sync now tries the refused change again, and it passes.
    await behind.close();
    await withAdmin((admin) => admin.query(`DROP TABLE ${db.schema}.entities; ALTER TABLE ${db.schema}.entities_lost RENAME TO entities`));
    await db.reopen();
    await relay(db, { port });
    await app.syncNow();
    await app.listState("Leg day", "synced");
    await app.listState("Arms", "synced");
    await page.getByTestId("refused-count").waitFor({ state: "detached" });
    const tablet = await nodeDevice(`ws://127.0.0.1:${port}/sync`, "lifter-r");
    await tablet.client.syncNow();
    const weights = await Promise.all(tablet.client.list("workout").map(async (w) => (await tablet.client.get<"workout">(w.id))!.payload.exercises[0]!.sets[0]!.weight));
    expect(weights).toEqual([22.5, 22.5]);
    expect(chromium.pageErrors).toEqual([]);
  });
});
