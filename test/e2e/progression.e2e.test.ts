// Progression per exercise on a phone: a target (sets × reps × weight) and its step are set up and
// edited on the Progression screen, synced to the person's tablet; a progression changed on both
// devices keeps both versions until the person chooses, side by side, reached from its card and
// from Review as a workout's conflict is; the choice leaves both devices with the same target.
import { describe, expect, it } from "vitest";
import { waitFor } from "../support/devices.js";
import { checkPhoneScreen, nodeDevice, proxiedBrowser, database, relay } from "./fixtures.js";

describe("progression per exercise", () => {
  it("a target changed on the phone offline and on the tablet asks the person to choose; keeping the tablet's leaves both devices with it", async () => {
    const db = await database();
    const r = await relay(db);
    const phone = await proxiedBrowser(r, "progress-1", "Phone A");
    const { page } = phone.chromium;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("link", { name: "Progression", exact: true }).click();

    // A value the schema refuses is said, not saved.
    const add = page.getByRole("form", { name: "New progression" });
    await add.getByLabel("Exercise").fill("Back Squat");
    await add.getByLabel("Target weight (kg)").fill("100");
    await add.getByLabel("Sets").fill("0");
    await add.getByRole("button", { name: "Add progression" }).click();
    await add.getByRole("alert").filter({ hasText: "Sets" }).waitFor();
    expect(await page.getByTestId("progression").count()).toBe(0);
    await add.getByLabel("Sets").fill("3");
    await add.getByLabel("Reps").fill("5");
    await add.getByLabel("Step when hit (kg)").fill("2.5");
    await add.getByRole("button", { name: "Add progression" }).click();
    await add.getByRole("status").filter({ hasText: "Added Back Squat" }).waitFor();
    const card = page.getByRole("form", { name: "Back Squat progression" });
    const target = card.getByTestId("progression-target");
    await target.filter({ hasText: "Target 3 × 5 × 100 kg" }).waitFor();
    await card.locator('[data-testid="sync-state"][data-state="synced"]').waitFor();

    const tablet = await nodeDevice(r.syncUrl, "progress-1", "Tablet B");
    await tablet.client.syncNow();
    await waitFor(tablet.client, () => tablet.client.list("progression").length === 1);
    const id = tablet.client.list("progression")[0]!.id;

    // The phone loses its signal and raises the target; the tablet, online, raises it less.
    await phone.offline();
    await card.getByLabel("Target weight (kg)").fill("105");
    await card.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("form", { name: "Back Squat progression" }).getByTestId("progression-target").filter({ hasText: "3 × 5 × 105 kg" }).waitFor();
    await tablet.client.update<"progression">(id, (p) => {
      p.targetWeight = 102.5;
    });
    await tablet.client.syncNow();
    await waitFor(tablet.client, () => tablet.client.syncState(id) === "synced");

    // Back online, the phone finds the target changed on the tablet too: its card says so.
    await phone.online();
    await phone.app.conflictCount(1);
    await card.getByTestId("progression-conflict").waitFor();
    await checkPhoneScreen(phone.app, "progression in conflict");
    // Review lists it as it lists workouts; both versions side by side, the difference marked.
    await phone.app.reviewConflict("Back Squat");
    const mine = page.getByTestId("version-mine");
    const theirs = page.getByTestId("version-theirs");
    await mine.getByRole("heading", { name: "Phone A" }).waitFor();
    await theirs.getByRole("heading", { name: "Tablet B" }).waitFor();
    expect(await mine.locator("mark").allTextContents()).toEqual(["3 × 5 at 105 kg"]);
    expect(await theirs.locator("mark").allTextContents()).toEqual(["3 × 5 at 102.5 kg"]);
    await checkPhoneScreen(phone.app, "progression conflict review");
    await theirs.getByRole("button", { name: "Keep Tablet B" }).click();

    // Back on the progression, with the tablet's target, synced; the tablet has it too.
    await page.getByRole("form", { name: "Back Squat progression" }).getByTestId("progression-target").filter({ hasText: "3 × 5 × 102.5 kg" }).waitFor();
    await page.getByRole("form", { name: "Back Squat progression" }).locator('[data-testid="sync-state"][data-state="synced"]').waitFor();
    expect(await page.getByTestId("progression-conflict").count()).toBe(0);
    await tablet.client.syncNow();
    expect((await tablet.client.get<"progression">(id))?.payload.targetWeight).toBe(102.5);
    expect(tablet.client.conflicts()).toEqual([]);

    // Target hit: one tap sets the next one.
    await page.getByRole("form", { name: "Back Squat progression" }).getByRole("button", { name: "Hit it: 105 kg next" }).click();
    await page.getByRole("form", { name: "Back Squat progression" }).getByTestId("progression-target").filter({ hasText: "3 × 5 × 105 kg" }).waitFor();
    expect(phone.chromium.pageErrors).toEqual([]);
  }, 180_000); // two devices, an outage and four axe runs: slow on a loaded two-core machine
});
