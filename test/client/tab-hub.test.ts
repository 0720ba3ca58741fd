// Tabs of one device store: the leader tab serves the store to the others over a BroadcastChannel
// (Node's, which delivers between the channels of one process as the browser does between tabs).
// A tab that said hello while the new leader was still opening the store was not heard; it must
// still get every later change, and a leader alone must not build snapshots for nobody.
import "fake-indexeddb/auto";
import { afterEach, describe, expect, it } from "vitest";
import { FollowerDevice } from "../../client/app/tabs/follower-device.js";
import { LeaderHub } from "../../client/app/tabs/leader-hub.js";
import { TabChannel, type TabMessage } from "../../client/app/tabs/tab-channel.js";
import { LocalDevice } from "../../client/app/device/local-device.js";
import { IndexedDbStorage, type IronFlowClient } from "../../client/core/index.js";
import { workout } from "../support/devices.js";
import { ScriptedRelay } from "../support/scripted-relay.js";
import { openScriptedDevice } from "../support/scripted-device.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function channel(name: string): TabChannel {
  const c = new TabChannel(name);
  cleanups.push(() => c.close());
  return c;
}

/** Every message of `kind` sent on the store's channel, as another tab hears them. */
function overhear<K extends TabMessage["kind"]>(name: string, kind: K): { heard: Extract<TabMessage, { kind: K }>[]; count(n: number): Promise<void> } {
  const heard: Extract<TabMessage, { kind: K }>[] = [];
  let wake = (): unknown => undefined;
  channel(name).on(kind, (m) => {
    heard.push(m);
    wake();
  });
  // Resolves once `n` have arrived (the channel delivers on the event loop).
  const count = (n: number) =>
    new Promise<void>((resolve) => {
      wake = () => heard.length >= n && resolve();
      wake();
    });
  return { heard, count };
}

function until(check: () => boolean, subscribe: (listener: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    if (check()) { resolve(); return; }
    const off = subscribe(() => {
      if (!check()) return;
      off();
      resolve();
    });
  });
}

async function openStore(name: string): Promise<IronFlowClient> {
  const client = await openScriptedDevice(new IndexedDbStorage(name), new ScriptedRelay());
  cleanups.push(() => client.close());
  return client;
}

describe("the leader tab's hub", () => {
  it("serves a tab whose hello came while the store was opening: that tab sees each later change", async () => {
    const name = "tab-hub-late-hello";
    const hellos = overhear(name, "hello");
    const leaderChannel = channel(name);
    const follower = new FollowerDevice(channel(name), () => true);
    cleanups.push(() => follower.close());
    // The new leader announces itself; the follower says hello to it, before its store is open.
    leaderChannel.post({ kind: "leading", leader: leaderChannel.tabId, since: Date.now() });
    await hellos.count(2);

    const client = await openStore(name);
    const hub = new LeaderHub(leaderChannel, new LocalDevice(client));
    cleanups.push(() => hub.stop());
    await follower.ready;
    const id = await client.create("workout", workout("Pull day", [{ name: "Row", sets: [[8, 60]] }]));
    await until(() => follower.list().some((e) => e.id === id), (listener) => follower.subscribe(listener));
    expect(follower.list().map((e) => e.title)).toEqual(["Pull day"]);
  });

  it("builds no snapshot while no other tab has said hello", async () => {
    const name = "tab-hub-alone";
    const snapshots = overhear(name, "snapshot");
    const pings = overhear(name, "ping");
    const client = await openStore(name);
    const leaderChannel = channel(name);
    const hub = new LeaderHub(leaderChannel, new LocalDevice(client));
    cleanups.push(() => hub.stop());
    await client.create("workout", workout("Leg day", [{ name: "Squat", sets: [[5, 100]] }]));
    // One channel's messages arrive in order: once this one is heard, all the hub sent is too.
    leaderChannel.post({ kind: "ping", from: "marker" });
    await pings.count(1);
    expect(snapshots.heard).toEqual([]);
  });
});
