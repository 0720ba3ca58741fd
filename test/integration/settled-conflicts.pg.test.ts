// How devices settle conflicts reaches the relay's metrics: each device counts its settlements by
// entity type and kind (fast-forward, already merged, each strategy, the person's choices), shows
// them on its Sync health figures and reports them with its next pull (protocol version 4 on; the
// entity type from version 5); the relay counts them in
// ironflow_device_resolutions_total{entity_type,kind}. Real devices, a real relay and Postgres.
import { afterEach, describe, expect, it } from "vitest";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import { ENTITY_TYPES, ResolutionKind, type IronFlowClient } from "../../client/core/index.js";
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

/** The relay's ironflow_device_resolutions_total, by "entity_type/kind" label pair. */
async function resolutions(r: Relay): Promise<Record<string, number>> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const out: Record<string, number> = {};
  const series = /^ironflow_device_resolutions_total\{entity_type="([a-z_]+)",kind="([a-z_]+)"\} (\d+)$/gm;
  for (const match of text.matchAll(series)) out[`${match[1]}/${match[2]}`] = Number(match[3]);
  // Any series of another shape (a label missing, another label) would escape the parse above.
  const all = text.split("\n").filter((line) => line.startsWith("ironflow_device_resolutions_total"));
  expect(all.length).toBe(Object.keys(out).length);
  return out;
}

/** A device's settled counts as an "entity_type/kind" record, the way the relay labels them. */
function settledOn(client: IronFlowClient): Record<string, number> {
  return Object.fromEntries(client.status().settled.map(({ entityType, kind, count }) => [`${entityType}/${ResolutionKind[kind].toLowerCase()}`, count]));
}

function sum(...records: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const record of records) for (const [kind, count] of Object.entries(record)) out[kind] = (out[kind] ?? 0) + count;
  return out;
}

/** The relay's ironflow_sync_conflicts_total summed by entity_type (each type has one strategy). */
async function conflictsAnswered(r: Relay): Promise<Record<string, number>> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const match of text.matchAll(/^ironflow_sync_conflicts_total\{entity_type="([a-z_]+)",strategy="[a-z_]+"\} (\d+)$/gm)) out[match[1]!] = (out[match[1]!] ?? 0) + Number(match[2]);
  return nonZero(out);
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

const day = (sleepHours: number) => ({ sleepHours, soreness: 3, readiness: 7, note: "" });

describe("conflicts settled on devices, in the relay's metrics", () => {
  it("a choice, two last-write-wins of two types, a max merge and a delete against an edit on the tablet are counted by entity type and kind, on the tablet and the relay", async () => {
    const r = await relay();
    const phone = await device(r, "phone");
    const tablet = await device(r, "tablet");
    const workoutId = await phone.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }]));
    const profileId = await phone.create("user_profile", { displayName: "Sam", preferredUnit: "kg", bodyweight: 80, goals: "" });
    const recoveryId = await phone.create("recovery", { days: { "2026-11-20": day(7) } });
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
    await phone.update<"recovery">(recoveryId, (p) => void (p.days["2026-11-20"] = day(6)));
    await tablet.update<"recovery">(recoveryId, (p) => void (p.days["2026-11-20"] = day(5)));
    await phone.update<"volume">(volumeId, (v) => void (v.muscleGroups["chest"] = { sets: 12 }));
    await tablet.update<"volume">(volumeId, (v) => void (v.muscleGroups["chest"] = { sets: 11 }));
    await phone.delete(deletedId);
    await tablet.update<"workout">(deletedId, (w) => void (w.title = "Arms and shoulders"));
    await phone.syncNow();
    await tablet.syncNow(); // the profile, the recovery, the volume and the deleted workout settle on their own; the edited workout asks
    await tablet.resolveConflict(workoutId, "merge");
    for (let round = 0; round < 2; round++) for (const c of [tablet, phone]) await c.syncNow();

    // The same kind on two types is two counts, each under its own type.
    expect(settledOn(tablet)).toEqual({
      "workout/delete_vs_edit": 1,
      "workout/chose_merge": 1,
      "user_profile/last_write_wins": 1,
      "recovery/last_write_wins": 1,
      "volume/max_merge": 1,
    });
    // The phone pushed first and then only caught up: nothing of its own was settled.
    expect(settledOn(phone)).toEqual({});
    // Every settlement was reported with a later pull, once: the relay's counts are the devices' sums.
    expect(nonZero(await resolutions(r))).toEqual(sum(settledOn(tablet), settledOn(phone)));
    // The relay's own view of the same push: the items it answered CONFLICT, by entity type.
    expect(await conflictsAnswered(r)).toEqual({ workout: 2, user_profile: 1, recovery: 1, volume: 1 });
  });

  it("devices of protocol version 3 (health without resolutions) and 2 (no health) are still answered, and count nothing", async () => {
    const r = await relay();
    expect(await oldDevicePull(r, 3, { queueDepth: 2, retryCounts: [{ retries: 1, items: 2 }] })).toBe("pull");
    expect(await oldDevicePull(r, 2)).toBe("pull");
    const counted = await resolutions(r);
    // Every known type and kind is there from the start, at zero, so a dashboard has a series to draw.
    const kinds = ["fast_forward", "already_merged", "last_write_wins", "max_merge", "server_authoritative", "delete_vs_edit", "chose_mine", "chose_theirs", "chose_merge"];
    expect(Object.keys(counted).sort()).toEqual(ENTITY_TYPES.flatMap((type) => kinds.map((kind) => `${type}/${kind}`)).sort());
    expect(nonZero(counted)).toEqual({});
  });

  it("a version 4 device's resolutions (no entity type) are counted under entity_type unknown; a kind newer than the relay as kind unknown", async () => {
    const r = await relay();
    const health = { resolutions: [{ kind: ResolutionKind.CHOSE_MINE, count: 2 }, { kind: 99, count: 5 }, { kind: 0, count: 1 }] };
    expect(await oldDevicePull(r, 4, health)).toBe("pull");
    expect(nonZero(await resolutions(r))).toEqual({ "unknown/chose_mine": 2, "unknown/unknown": 6 });
  });

  it("a version 5 device's entity type labels its count; a type the relay does not know is unknown, never a label of its own", async () => {
    const r = await relay();
    const health = {
      resolutions: [
        { entityType: "recovery", kind: ResolutionKind.LAST_WRITE_WINS, count: 3 },
        { entityType: "workout", kind: ResolutionKind.LAST_WRITE_WINS, count: 1 },
        { entityType: "squirrel", kind: ResolutionKind.MAX_MERGE, count: 4 },
        { entityType: "x".repeat(500), kind: ResolutionKind.MAX_MERGE, count: 1 },
        { entityType: "volume", kind: 99, count: 2 },
      ],
    };
    expect(await oldDevicePull(r, 5, health)).toBe("pull");
    expect(nonZero(await resolutions(r))).toEqual({ "recovery/last_write_wins": 3, "workout/last_write_wins": 1, "unknown/max_merge": 5, "volume/unknown": 2 });
  });
});
