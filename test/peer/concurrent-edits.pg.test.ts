// Two devices linked to the same LAN peer edit one workout at the same time (each while the other's
// change has not reached it), with the relay out of reach: the second device's link pulls the
// first one's version from the peer and merges it (Automerge, as an import does) before pushing
// its own, and neither device asks the person. When the relay is back, nothing the peer carried
// becomes a conflict or a duplicate.
import { afterEach, describe, expect, it } from "vitest";
import { Code, writePeerInvite, type IronFlowClient } from "../../client/core/index.js";
import type { LanPeer } from "../../peer/peer-server.js";
import { Cleanups, guard, openTestDevice, relayRows, repeated } from "../faults/fixtures.js";
import { TcpProxy } from "../faults/tcp-proxy.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { waitFor, workout } from "../support/devices.js";
import { startTestPeer } from "./fixtures.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

function invite(peer: LanPeer): string {
  return writePeerInvite({ url: peer.syncUrl, peerId: peer.peerId, code: peer.newPairingCode() });
}

async function payload(client: IronFlowClient, id: string): Promise<{ title: string; notes: string; weights: number[] }> {
  const doc = await client.get<"workout">(id);
  return { title: doc?.payload.title ?? "", notes: doc?.payload.notes ?? "", weights: doc?.payload.exercises.flatMap((e) => e.sets.map((s) => s.weight)) ?? [] };
}

describe("concurrent edits through a LAN peer", () => {
  it("two devices on one peer merge concurrent field edits without asking, with the relay out of reach; back at the relay, no false conflict and no duplicate", async () => {
    const db = await freshPgStore();
    cleanups.add(db.close);
    const relay = await startTestRelay({ store: db.store });
    cleanups.add(() => relay.close().catch(() => undefined));
    const proxy = await TcpProxy.open({ port: relay.port });
    cleanups.add(() => proxy.close());
    const viaProxy = `ws://127.0.0.1:${proxy.port}/sync`;
    const phone = await openTestDevice(cleanups, "phone", viaProxy, { requestTimeoutMs: 1_500 });
    const tablet = await openTestDevice(cleanups, "tablet", viaProxy, { requestTimeoutMs: 1_500 });

    const id = await phone.create("workout", workout("Leg day", [{ name: "Squat", sets: [[5, 100]] }]));
    await phone.syncNow();
    await tablet.syncNow();

    // The relay goes out of reach; both devices pair with the peer and get the workout's peer version.
    proxy.blackhole();
    proxy.cut();
    await expect(tablet.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    const { peer, close } = await startTestPeer(phone.account().userId);
    cleanups.add(close);
    const phoneLink = await phone.pairPeer(invite(peer));
    await phoneLink.syncNow();
    const tabletLink = await tablet.pairPeer(invite(peer));
    await tabletLink.syncNow();

    // At the same time: the tablet, between two links, changes the notes and the set's weight;
    // the phone renames the workout and hands it to the peer first.
    await tablet.unlinkPeer(tabletLink);
    await tablet.update<"workout">(id, (w) => {
      w.notes = "knees felt fine";
      w.exercises[0]!.sets[0]!.weight = 102.5;
    });
    await phone.update<"workout">(id, (w) => (w.title = "Leg day (heavy)"));
    expect((await phoneLink.syncNow()).pushed).toBe(1);

    // The tablet links again: it takes the phone's version from the peer, merged with its edits, then pushes.
    const relinked = await tablet.linkKnownPeer(peer.peerId);
    const merged = { title: "Leg day (heavy)", notes: "knees felt fine", weights: [102.5] };
    await guard(waitFor(tablet, async () => JSON.stringify(await payload(tablet, id)) === JSON.stringify(merged)), 20_000, () => "the tablet never merged the phone's rename");
    await guard(waitFor(phone, async () => JSON.stringify(await payload(phone, id)) === JSON.stringify(merged)), 20_000, () => "the phone never got the tablet's edits");
    await relinked.syncNow();
    await phoneLink.syncNow();
    for (const client of [phone, tablet]) {
      expect(client.conflicts()).toEqual([]);
      expect(client.status().conflicts).toBe(0);
    }

    // The relay is back: both push what they hold, and the second finds it in the relay's history.
    proxy.pass();
    const phoneReport = await phone.syncNow();
    const tabletReport = await tablet.syncNow();
    await phone.syncNow();
    expect(phoneReport.conflicts + tabletReport.conflicts).toBe(0);
    for (const client of [phone, tablet]) {
      expect(client.conflicts()).toEqual([]);
      expect(repeated(client.list("workout").map((w) => w.id))).toEqual([]);
      expect(client.list("workout").map((w) => w.id)).toEqual([id]);
      expect(await payload(client, id)).toEqual(merged);
      expect((await client.syncNow()).pushed).toBe(0);
    }
    expect(JSON.stringify(await phone.get(id))).toBe(JSON.stringify(await tablet.get(id)));
    // One entity at the relay: its first version, and the merge the peer carried, pushed once.
    expect((await relayRows(db.schema)).map((r) => [r.entityId, r.version, r.title])).toEqual([[id, 2, "Leg day (heavy)"]]);
  });
});
