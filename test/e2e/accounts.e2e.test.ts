// Accounts in the app: one person's phone and tablet (the first creates the account, the second
// signs in), signing out with changes that have not synced, signing in again, and one device
// signing the other out from its device list.
import { describe, expect, it } from "vitest";
import { testAccount } from "../support/accounts.js";
import { database, proxiedBrowser, relay } from "./fixtures.js";

const PUSH_DAY = [{ name: "Bench Press", sets: [{ reps: 5, weight: 80, unit: "kg" as const, rpe: 8 }] }];
const LEGS = [{ name: "Back Squat", sets: [{ reps: 5, weight: 100, unit: "kg" as const, rpe: null }] }];

describe("a person's account in the app", () => {
  it("a workout logged on the device that signed in reaches the one that signed up; signing out keeps what has not synced, and signing in again sends it", async () => {
    const db = await database();
    const r = await relay(db);
    const phone = await proxiedBrowser(r, "ada", "Phone");
    const tablet = await proxiedBrowser(r, "ada", "Tablet");

    // (One workout only: two logged in the same minute on two devices are a possible duplicate.)
    // The tablet, cut off, logs a workout: it waits on the device.
    await tablet.app.offlineReady();
    await tablet.offline();
    await tablet.app.logWorkout("Legs", LEGS);
    await tablet.app.queueDepth(1);

    const page = tablet.app.page;
    await page.getByRole("link", { name: "Account" }).click();
    const waiting = page.getByTestId("sign-out-waiting");
    await waiting.waitFor();
    expect(await waiting.getAttribute("data-count")).toBe("1");
    expect(await tablet.app.seriousViolations()).toEqual([]);
    await page.getByRole("button", { name: "Sign out anyway" }).click();
    await page.getByLabel("Email", { exact: true }).waitFor();

    // Back on the network, the same person signs in on the tablet: "Legs" is still there and syncs.
    await tablet.chromium.context.setOffline(false);
    await tablet.app.setUp("ada", "Tablet");
    await tablet.app.listItem("Legs").waitFor();
    await tablet.app.queueDepth(0);
    await phone.app.page.goto(`${phone.url}#/`);
    await phone.app.listItem("Legs").waitFor();
  }, 180_000); // two browsers, a sign-out and a sign-in: slow on a loaded two-core machine

  it("a device signed out from the person's other device stops syncing at once, keeps its changes, and sends them after signing in again", async () => {
    const db = await database();
    const r = await relay(db);
    const phone = await proxiedBrowser(r, "bo", "Phone");
    const tablet = await proxiedBrowser(r, "bo", "Tablet");

    const page = phone.app.page;
    await page.getByRole("link", { name: "Account" }).click();
    const devices = page.getByTestId("device-item");
    await devices.nth(1).waitFor();
    expect(await devices.allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining("Phone (this device)"), expect.stringContaining("Tablet")]));
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Sign out Tablet" }).click();
    await page.locator('[data-testid="device-item"][data-revoked="true"]').filter({ hasText: "Tablet" }).waitFor();

    // The tablet's next sync is refused: it says it is signed out; a workout logged now waits.
    await tablet.app.logWorkout("Rows", PUSH_DAY);
    await tablet.app.page.getByTestId("signed-out").waitFor();
    await tablet.app.queueDepth(1);
    await phone.app.page.goto(`${phone.url}#/`);
    expect(await phone.app.listItem("Rows").count()).toBe(0);

    await tablet.app.page.getByLabel(`Password for ${testAccount("bo").email}`, { exact: true }).fill(testAccount("bo").password);
    await tablet.app.page.getByRole("button", { name: "Sign in to sync" }).click();
    await tablet.app.queueDepth(0);
    await phone.app.listItem("Rows").waitFor();
  }, 180_000);
});
