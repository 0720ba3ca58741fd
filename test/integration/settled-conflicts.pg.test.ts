// How devices settle conflicts reaches the relay's metrics: each device counts its settlements by
// kind (fast-forward, already merged, each strategy, the person's choices), shows them on its
// Sync health figures and reports them with its next pull (protocol version 4); the relay counts
// them in ironflow_device_resolutions_total{kind}. Real devices, a real relay and Postgres.
import { afterEach, describe, expect, it } from "vitest";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import { ResolutionKind, type IronFlowClient } from "../../client/core/index.js";
import { freshPgStore } from "../support/databases.js";
import { tempDir, workout } from "../support/devices.js";
import { RawRelaySocket, signIn } from "../support/raw-relay-socket.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relay(): Promise<Relay> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store });
  cleanups.push(db.close, () => r.close().catch(() => undefined));
  return r;
}

async function device(r: Relay, name: string): Promise<IronFlowClient> {
  const dir = tempDir(name);
  const client = await openNodeClient({ dataDir: dir.path, relayUrl: r.syncUrl, account: testAccount("user-1"), deviceName: name });
  cleanups.push(() => dir.remove(), () => client.close());
  return client;
}

/** The relay's ironflow_device_resolutions_total, by kind label. */
async function resolutions(r: Relay): Promise<Record<string, number>> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^ironflow_device_resolutions_total\{kind="([a-z_]+)"\} (\d+)$/gm)) out[match[1]!] = Number(match[2]);
  return out;
}

/** A device's settled counts as a kind-name record, the way the relay labels them. */
function settledOn(client: IronFlowClient): Record<string, number> {
  return Object.fromEntries(client.status().settled.map(({ kind, count }) => [ResolutionKind[kind].toLowerCase(), count]));
}

function sum(...records: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) for (const [kind, count] of Object.entries(record)) out[kind] = (out[kind] ?? 0) + count;
  return out;
}

const nonZero = (record: Record<string, number>) => Object.fromEntries(Object.entries(record).filter(([, n]) => n > 0));

/** A pull as a device of `protocolVersion` sends it, on a fresh socket of the test person. */
async function oldDevicePull(r: Relay, protocolVersion: number, health?: object): Promise<string | undefined> {
  const session = await signIn(r.syncUrl, "user-1", `old-device-${protocolVersion}`);
  const socket = await RawRelaySocket.connect(r.syncUrl);
  cleanups.push(() => socket.close());
  const hello = await socket.request({ case: "hello", value: { protocolVersion, accessToken: session.accessToken } });
  expect(hello.body.case).toBe("welcome");
  return (await socket.request({ case: "pull", value: { cursor: 0n, ...(health ? { health } : {}) } })).body.case;
}

describe("conflicts settled on devices, in the relay's metrics", () => {
  it("a choice, a last-write-wins, a max merge and a delete against an edit on the tablet are counted by kind, on the tablet and the relay", async () => {
    const r = await relay();
    const phone = await device(r, "phone");
    const tablet = await device(r, "tablet");
    const workoutId = await phone.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }]));
    const profileId = await phone.create("user_profile", { displayName: "Sam", preferredUnit: "kg", bodyweight: 80, goals: "" });
    const volumeId = await phone.create("volume", { weekStart: "2026-11-16", muscleGroups: { chest: { sets: 10 } } });
    const deletedId = await phone.create("workout", workout("Arms", [{ name: "Curl", sets: [[10, 20]] }]));
    await phone.syncNow();
    await tablet.syncNow();
    phone.goOffline();
    tablet.goOffline();
    await phone.update<"workout">(workoutId, (w) => void (w.title = "Legs (phone)"));
    await tablet.update<"workout">(workoutId, (w) => void (w.title = "Legs (tablet)"));
    await phone.update<"user_profile">(profileId, (p) => void (p.bodyweight = 81));
    await tablet.update<"user_profile">(profileId, (p) => void (p.bodyweight = 79));
    await phone.update<"volume">(volumeId, (v) => void (v.muscleGroups["chest"] = { sets: 12 }));
    await tablet.update<"volume">(volumeId, (v) => void (v.muscleGroups["chest"] = { sets: 11 }));
    await phone.delete(deletedId);
    await tablet.update<"workout">(deletedId, (w) => void (w.title = "Arms and shoulders"));
    await phone.syncNow();
    await tablet.syncNow(); // the profile, the volume and the deleted workout settle on their own; the edited workout asks
    await tablet.resolveConflict(workoutId, "merge");
    for (let round = 0; round < 2; round++) for (const c of [tablet, phone]) await c.syncNow();

    expect(settledOn(tablet)).toEqual({ last_write_wins: 1, max_merge: 1, delete_vs_edit: 1, chose_merge: 1 });
    // The phone pushed first and then only caught up: nothing of its own was settled.
    expect(settledOn(phone)).toEqual({});
    // Every settlement was reported with a later pull, once: the relay's counts are the devices' sums.
    expect(nonZero(await resolutions(r))).toEqual(sum(settledOn(tablet), settledOn(phone)));
  });

  it("devices of protocol version 3 (health without resolutions) and 2 (no health) are still answered, and count nothing", async () => {
    const r = await relay();
    expect(await oldDevicePull(r, 3, { queueDepth: 2, retryCounts: [{ retries: 1, items: 2 }] })).toBe("pull");
    expect(await oldDevicePull(r, 2)).toBe("pull");
    const counted = await resolutions(r);
    // Every known kind is there from the start, at zero, so a dashboard has a series to draw.
    expect(Object.keys(counted)).toEqual(expect.arrayContaining(["fast_forward", "already_merged", "last_write_wins", "max_merge", "delete_vs_edit", "chose_mine", "chose_theirs", "chose_merge"]));
    expect(nonZero(counted)).toEqual({});
  });

  it("a kind newer than the relay is counted as unknown, never as a label of its own", async () => {
    const r = await relay();
    const health = { resolutions: [{ kind: ResolutionKind.CHOSE_MINE, count: 2 }, { kind: 99, count: 5 }, { kind: 0, count: 1 }] };
    expect(await oldDevicePull(r, 4, health)).toBe("pull");
    expect(nonZero(await resolutions(r))).toEqual({ chose_mine: 2, unknown: 6 });
  });
});
