// What a device writes to its storage on every edit it syncs, against the real relay and Postgres
// and the Node device's files: a synced queue item leaves storage, and the last sync time is
// written at most once a minute while syncing (each was a file write per edit).
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DeviceState } from "../../client/core/device-state.js";
import type { IronFlowClient } from "../../client/core/index.js";
import { EncryptedStorage } from "../../client/core/storage/encrypted-storage.js";
import { RecordStore } from "../../client/core/storage/record-store.js";
import { FileStorage } from "../../client/node/file-storage.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import { storageKeyFromFile } from "../../client/node/storage-key.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { tempDir, workout } from "../support/devices.js";
import { FakeClock } from "../support/fake-clock.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relay(): Promise<Relay> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store });
  cleanups.push(db.close, () => r.close().catch(() => undefined));
  return r;
}

function folder(): string {
  const dir = tempDir("device-writes");
  cleanups.push(() => dir.remove());
  return dir.path;
}

async function phone(r: Relay, dataDir: string, timers?: FakeClock): Promise<IronFlowClient> {
  const client = await openNodeClient({ dataDir, relayUrl: r.syncUrl, account: testAccount("user-1"), deviceName: "phone", timers, syncOnChange: false });
  cleanups.push(() => client.close());
  return client;
}

/** The device's own record of itself, read from its folder as the next open would. */
async function storedState(dataDir: string): Promise<DeviceState | undefined> {
  const key = await storageKeyFromFile(join(dataDir, "storage.key"));
  return new RecordStore<DeviceState>(new EncryptedStorage(new FileStorage(join(dataDir, "store")), key), "device").get("self");
}

describe("a device's writes on a synced edit", () => {
  it("a synced queue item leaves storage: after a reopen the entity is synced, with no item and nothing to push", async () => {
    const r = await relay();
    const dataDir = folder();
    const device = await phone(r, dataDir);
    const id = await device.create("workout", workout("Legs", [{ name: "Squat", sets: [[5, 100]] }]));
    expect((await device.syncNow()).pushed).toBe(1);
    await device.update<"workout">(id, (w) => {
      w.notes = "heavy";
    });
    expect(device.queueItems()).toMatchObject([{ entityId: id, status: "pending", operation: "update" }]);
    expect((await device.syncNow()).pushed).toBe(1);
    expect(device.syncState(id)).toBe("synced");
    await device.close();

    const again = await phone(r, dataDir);
    expect(again.queueItems()).toEqual([]);
    expect(again.syncState(id)).toBe("synced");
    expect((await again.syncNow()).pushed).toBe(0);
    expect((await again.get<"workout">(id))?.payload.notes).toBe("heavy");
    // The next change is an update again, as for any synced entity.
    await again.update<"workout">(id, (w) => {
      w.notes = "heavier";
    });
    expect(again.queueItems()).toMatchObject([{ entityId: id, operation: "update" }]);
  });

  it("the last sync time is written at most once a minute while syncing, and when the device closes", async () => {
    const r = await relay();
    const dataDir = folder();
    const clock = new FakeClock(Date.now());
    const device = await phone(r, dataDir, clock);
    const first = clock.now();
    const stored = async () => (await storedState(dataDir))?.lastSyncAt;
    await device.syncNow();
    expect(await stored()).toBe(first);

    // Syncs within the minute change the time in memory only. (Steps shorter than the 5 s
    // heartbeat keep the one connection: a new one writes the state anyway, with its clock offset.)
    for (let at = 4_000; at < 60_000; at += 4_000) {
      clock.advance(4_000);
      await device.syncNow();
      expect(device.status().lastSyncAt).toBe(first + at);
      expect(await stored()).toBe(first);
    }
    clock.advance(4_000);
    await device.syncNow();
    expect(await stored()).toBe(first + 60_000);

    clock.advance(4_000);
    await device.syncNow();
    expect(await stored()).toBe(first + 60_000);
    await device.close();
    expect(await stored()).toBe(first + 64_000);
  });
});
