// Two devices of one person sync through a LAN peer while the relay cannot be reached (a TCP
// proxy that swallows their bytes), then the relay comes back: everything converges, with no
// conflict for what the peer carried, no duplicate, and no change stored twice at the relay; an
// edit made on the relay's side meanwhile meets the workout's strategy exactly once.
import { afterEach, describe, expect, it } from "vitest";
import { pairWithPeer, secureTransport, type IronFlowClient } from "../../client/core/index.js";
import type { LanPeer } from "../../peer/peer-server.js";
import { Cleanups, guard, openTestDevice, relayRows, repeated } from "../faults/fixtures.js";
import { TcpProxy } from "../faults/tcp-proxy.js";
import { Code } from "../../schema/status.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { waitFor, workout } from "../support/devices.js";
import { peerTransport, startTestPeer } from "./fixtures.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function link(client: IronFlowClient, peer: LanPeer): Promise<void> {
  const { deviceId } = client.account();
  const credentials = await pairWithPeer(peerTransport(peer.syncUrl), { code: peer.newPairingCode(), deviceId, deviceName: deviceId });
  await client.linkPeer({ peerId: peer.peerId, transport: secureTransport(peerTransport(peer.syncUrl), credentials), accessToken: credentials.accessToken });
}

async function title(client: IronFlowClient, id: string): Promise<string | undefined> {
  return (await client.get<"workout">(id))?.payload.title;
}

async function sets(client: IronFlowClient, id: string): Promise<number> {
  return (await client.get<"workout">(id))?.payload.exercises.reduce((n, e) => n + e.sets.length, 0) ?? 0;
}

describe("LAN peer with the relay out of reach", () => {
  it("changes flow both ways through the peer; when the relay is back all converge, one conflict, no duplicate, nothing stored twice", async () => {
    const db = await freshPgStore();
    cleanups.add(db.close);
    const relay = await startTestRelay({ store: db.store });
    cleanups.add(() => relay.close().catch(() => undefined));
    const proxy = await TcpProxy.open({ port: relay.port });
    cleanups.add(() => proxy.close());
    const viaProxy = `ws://127.0.0.1:${proxy.port}/sync`;

    const phone = await openTestDevice(cleanups, "phone", viaProxy, { requestTimeoutMs: 1_500 });
    const tablet = await openTestDevice(cleanups, "tablet", viaProxy, { requestTimeoutMs: 1_500 });
    // A third device stays with the relay: the relay's side of the story.
    const laptop = await openTestDevice(cleanups, "laptop", relay.syncUrl);
    const userId = phone.account().userId;

    // Before: one workout every device has from the relay.
    const shared = await phone.create("workout", workout("Monday", [{ name: "Squat", sets: [[5, 100]] }]));
    await phone.syncNow();
    await tablet.syncNow();
    await laptop.syncNow();

    // The relay goes out of reach of the phone and the tablet.
    proxy.blackhole();
    proxy.cut();
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });

    const { peer, close } = await startTestPeer(userId);
    cleanups.add(close);
    await link(phone, peer);
    await link(tablet, peer);

    // Phone → tablet: a new workout.
    const started = Date.now();
    const fresh = await phone.create("workout", workout("Tuesday", [{ name: "Bench", sets: [[5, 60]] }]));
    await guard(waitFor(tablet, async () => (await title(tablet, fresh)) === "Tuesday"), 20_000, () => "the tablet never got Tuesday");
    const phoneToTablet = Date.now() - started;
    console.log(`phone to tablet through the peer: ${phoneToTablet} ms`);
    // Tablet → phone: a set added to it.
    await tablet.update<"workout">(fresh, (w) => w.exercises[0]!.sets.push({ id: "set-tablet", reps: 3, weight: 70, unit: "kg", rpe: null, completed: true }));
    await guard(waitFor(phone, async () => (await sets(phone, fresh)) === 2), 20_000, () => "the phone never got the tablet's set");
    // The phone renames the shared workout; the tablet sees it.
    await phone.update<"workout">(shared, (w) => (w.title = "Monday (peer)"));
    await guard(waitFor(tablet, async () => (await title(tablet, shared)) === "Monday (peer)"), 20_000, () => "the tablet never got the rename");
    // Meanwhile the laptop, with the relay, renames it too: a real concurrent edit.
    await laptop.update<"workout">(shared, (w) => (w.title = "Monday (relay)"));
    await laptop.syncNow();

    // The relay is back. The phone returns first: the rename meets the laptop's (the workout's
    // strategy asks the person), the new workout goes up once.
    proxy.pass();
    await phone.syncNow();
    expect(phone.conflicts().map((c) => c.entityId)).toEqual([shared]);
    await phone.resolveConflict(shared, "mine");
    await phone.syncNow();
    // The tablet returns: everything it would push is already in the relay's history.
    const tabletReport = await tablet.syncNow();
    expect(tabletReport.conflicts).toBe(0);
    expect(tablet.conflicts()).toEqual([]);
    await laptop.syncNow();
    await phone.syncNow();

    // Converged: the same documents everywhere, each entity once.
    for (const client of [phone, tablet, laptop]) {
      const ids = client.list("workout").map((w) => w.id);
      expect(repeated(ids)).toEqual([]);
      expect(ids.sort()).toEqual([shared, fresh].sort());
      expect(await title(client, shared)).toBe("Monday (peer)");
      expect(await sets(client, fresh)).toBe(2);
      expect(client.conflicts()).toEqual([]);
    }
    expect(JSON.stringify(await tablet.get(shared))).toBe(JSON.stringify(await laptop.get(shared)));
    expect(JSON.stringify(await tablet.get(fresh))).toBe(JSON.stringify(await phone.get(fresh)));

    // Nothing stored twice: the new workout is version 1 (one push took it, with the tablet's
    // set the peer had carried); the shared one is the first sync, the laptop's rename and the
    // phone's choice.
    const rows = await relayRows(db.schema);
    expect(rows.map((r) => [r.entityId, r.version]).sort()).toEqual([[fresh, 1], [shared, 3]].sort());
    // And nothing is left to push anywhere.
    for (const client of [phone, tablet, laptop]) expect((await client.syncNow()).pushed).toBe(0);
  });
});
