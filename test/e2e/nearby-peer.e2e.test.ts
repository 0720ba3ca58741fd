// A browser device syncing through a LAN peer with the relay out of its reach: real Chromium
// running the built app, the person pastes the invite a Node peer printed on the "Nearby device"
// screen; a Node device's workout reaches the browser through the peer, and the browser's edit
// goes back the same way. A browser has no mDNS or raw sockets: the sealed link runs over the
// page's own WebSocket.
import { describe, expect, it } from "vitest";
import { writePeerInvite } from "../../client/core/index.js";
import type { LanPeer } from "../../peer/peer-server.js";
import { TcpProxy } from "../faults/tcp-proxy.js";
import { guard } from "../faults/fixtures.js";
import { startTestPeer } from "../peer/fixtures.js";
import { waitFor, workout } from "../support/devices.js";
import { browser, checkPhoneScreen, database, nodeDevice, onCleanup, relay } from "./fixtures.js";

function invite(peer: LanPeer): string {
  return writePeerInvite({ url: peer.syncUrl, peerId: peer.peerId, code: peer.newPairingCode() });
}

describe("a browser device through a LAN peer", () => {
  it("with the relay out of reach, a Node device's workout reaches the browser through the peer and the browser's edit goes back", async () => {
    const db = await database();
    const r = await relay(db);
    const laptop = await nodeDevice(r.syncUrl, "lifter-peer", "node-laptop");
    const userId = laptop.client.account().userId;

    // The browser reaches the relay (and the app's files) through a proxy the test can silence.
    const proxy = await TcpProxy.open({ port: r.port });
    onCleanup(() => proxy.close());
    const { app, chromium } = await browser();
    const { page } = chromium;
    await page.setViewportSize({ width: 390, height: 844 }); // a phone, as checkPhoneScreen measures
    await page.goto(`http://127.0.0.1:${proxy.port}/`);
    await app.setUp("lifter-peer", "Phone");
    await app.connection("Online");
    proxy.blackhole();
    proxy.cut();
    await app.connection("Offline");

    // The laptop logs a workout and hands it to the peer.
    const { peer, close } = await startTestPeer(userId, { name: "Kitchen laptop" });
    onCleanup(close);
    const id = await laptop.client.create("workout", workout("Peer day", [{ name: "Squat", sets: [[5, 100]] }]));
    const laptopLink = await laptop.client.pairPeer(invite(peer));
    expect((await laptopLink.syncNow()).pushed).toBeGreaterThanOrEqual(1);

    // The person pastes the peer's invite on the phone.
    await page.getByRole("link", { name: "Nearby device" }).click();
    await page.getByRole("heading", { name: "Nearby device" }).waitFor();
    await checkPhoneScreen(app, "Nearby device (no peer)");
    await page.getByLabel("Invite").fill("http://not-an-invite");
    await page.getByRole("button", { name: "Pair" }).click();
    await page.getByRole("alert").filter({ hasText: "not an IronFlow peer invite" }).waitFor();
    await page.getByLabel("Invite").fill(invite(peer));
    await page.getByRole("button", { name: "Pair" }).click();
    const row = page.getByTestId("nearby-peer").filter({ hasText: "Kitchen laptop" });
    await row.getByTestId("nearby-state").filter({ hasText: /^Linked$/ }).waitFor();
    await row.getByTestId("nearby-synced").filter({ hasText: /^1 received/ }).waitFor();
    // The address as text and as a QR code another phone can scan.
    await row.getByRole("img", { name: `QR code of ${peer.syncUrl}` }).waitFor();
    await checkPhoneScreen(app, "Nearby device (linked)");

    // The workout is on the phone, though the relay never reached it; the phone adds a set.
    await page.getByRole("link", { name: "Workouts" }).click();
    await app.openWorkout("Peer day");
    await page.getByRole("button", { name: "Add set to Squat", exact: true }).click();
    await app.setCount("Squat", 2);
    await guard(
      waitFor(laptop.client, async () => (await laptop.client.get<"workout">(id))?.payload.exercises[0]?.sets.length === 2),
      30_000,
      () => "the phone's set never reached the laptop through the peer",
    );
    await page.getByRole("link", { name: "Nearby device" }).click();
    await row.getByTestId("nearby-synced").filter({ hasText: /1 sent/ }).waitFor();
  }, 120_000);
});
