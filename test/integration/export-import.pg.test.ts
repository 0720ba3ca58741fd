// Everything the person owns, exported as JSON with its history and imported again: into the same
// account (a wiped device, or the same device twice) and into another account. Nothing is
// duplicated, on the devices or in Postgres.
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo/slim";
import { afterEach, describe, expect, it } from "vitest";
import { openNodeClient } from "../../client/node/open-node-client.js";
import type { IronFlowClient } from "../../client/core/index.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore, type PgStoreFixture } from "../support/databases.js";
import { tempDir, workout } from "../support/devices.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(): Promise<{ db: PgStoreFixture; relay: Relay }> {
  const db = await freshPgStore();
  const relay = await startTestRelay({ store: db.store });
  cleanups.push(() => db.close(), () => relay.close().catch(() => undefined));
  return { db, relay };
}

async function device(relay: Relay, user: string, name: string): Promise<IronFlowClient> {
  const dir = tempDir(name);
  const client = await openNodeClient({ dataDir: dir.path, relayUrl: relay.syncUrl, account: testAccount(user), deviceName: name, syncOnChange: false });
  cleanups.push(() => dir.remove(), () => client.close());
  return client;
}

async function snapshot(client: IronFlowClient) {
  const items = client.list(undefined, { includeDeleted: true }).filter((i) => i.type !== "exercise_definition");
  return Promise.all(items.sort((a, b) => a.id.localeCompare(b.id)).map(async (i) => ({ id: i.id, type: i.type, doc: await client.get(i.id) })));
}

describe("export and import", () => {
  it("a wiped device imports its export: the same data, nothing duplicated on the relay; importing twice changes nothing", async () => {
    const { db, relay } = await setup();
    const phone = await device(relay, "ada", "phone");
    const legs = await phone.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100], [5, 105]] }]));
    await phone.create("user_profile", { displayName: "Ada", preferredUnit: "kg", bodyweight: 61, goals: "" });
    const gone = await phone.create("workout", { ...workout("Deleted", [{ name: "Row", sets: [[8, 60]] }]), startedAt: Date.UTC(2026, 0, 1) });
    await phone.delete(gone);
    await phone.syncNow();
    const file = JSON.parse(JSON.stringify(await phone.exportData())) as unknown;
    const before = await snapshot(phone);

    const wiped = await device(relay, "ada", "phone-after-wipe");
    expect(await wiped.importData(file)).toMatchObject({ added: 3, merged: 0, unchanged: 0, refused: [] });
    expect(await snapshot(wiped)).toEqual(before);
    await wiped.syncNow();
    await wiped.syncNow();
    expect((await db.store.changesSince(wiped.account().userId, 0n, 100)).entities.map((e) => e.entityId).sort()).toEqual(before.map((e) => e.id).sort());
    expect(await wiped.importData(file)).toMatchObject({ added: 0, merged: 0, unchanged: 3 });
    expect((await wiped.get<"workout">(legs))?.payload.exercises[0]?.sets).toHaveLength(2);
  });

  it("another account imports it: the same entities there, and a second import duplicates nothing", async () => {
    const { db, relay } = await setup();
    const phone = await device(relay, "ada", "phone");
    await phone.create("workout", workout("Push", [{ name: "Bench", sets: [[5, 60]] }]));
    const file = await phone.exportData();
    const other = await device(relay, "grace", "laptop");
    await other.importData(file);
    await other.importData(file);
    await other.syncNow();
    expect(other.list("workout").map((w) => w.title)).toEqual(["Push"]);
    expect((await db.store.changesSince(other.account().userId, 0n, 100)).entities).toHaveLength(1);
  });

  it("a file that is not an export is refused with a typed error, and nothing changes", async () => {
    const { relay } = await setup();
    const phone = await device(relay, "ada", "phone");
    const refused = await phone.importData({ format: "something-else" }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(String(refused)).toContain("not an IronFlow export");
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    const broken = { format: "ironflow-export", version: 1, exportedAt: 1, entities: [{ type: "workout", id, data: {}, automerge: "!!!" }] };
    expect(await phone.importData(broken)).toMatchObject({ added: 0, refused: [{ id }] });
    expect(phone.list()).toEqual([]);
  });
});
