// A device opened with many changes waiting to sync (a long time off the network, or an import)
// does not load their documents to check that each change was stored whole: the record written
// after each document says so. Only a change whose record does not match (the device stopped
// between the queue item and the document) is checked. A phone with 10,000 workouts waiting
// took over a minute to show its list when every one was loaded (bench/browser-cold-start.ts).
import "fake-indexeddb/auto";
import * as A from "@automerge/automerge";
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import { afterEach, describe, expect, it } from "vitest";
import { IndexedDbStorage, IronFlowClient } from "../../client/core/index.js";
import { workout } from "../support/devices.js";
import { workoutsExportFile } from "../support/export-file.js";
import { ScriptedRelay } from "../support/scripted-relay.js";
import { openScriptedDevice } from "../support/scripted-device.js";

/** The device's storage, noting which documents are read (records live under "_ironflow"). */
class ReadsNoted implements StorageAdapterInterface {
  readonly documentsRead = new Set<string>();
  constructor(private readonly inner: StorageAdapterInterface) {}
  load(key: StorageKey): Promise<Uint8Array | undefined> {
    this.note(key);
    return this.inner.load(key);
  }
  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.inner.save(key, data);
  }
  remove(key: StorageKey): Promise<void> {
    return this.inner.remove(key);
  }
  loadRange(prefix: StorageKey): Promise<Chunk[]> {
    this.note(prefix);
    return this.inner.loadRange(prefix);
  }
  removeRange(prefix: StorageKey): Promise<void> {
    return this.inner.removeRange(prefix);
  }
  private note(key: StorageKey): void {
    if (key[0] !== "_ironflow" && key.length > 0) this.documentsRead.add(key[0]!);
  }
}

const clients: IronFlowClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

async function open(storage: StorageAdapterInterface, relay = new ScriptedRelay()): Promise<IronFlowClient> {
  const client = await openScriptedDevice(storage, relay);
  clients.push(client);
  return client;
}

describe("a device opened with changes waiting to sync", () => {
  it("loads none of their documents when each was stored whole, and checks only the one whose write did not land", async () => {
    const name = "open-with-pending";
    const first = await open(new IndexedDbStorage(name));
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await first.create("workout", workout(`Session ${i}`, [{ name: "Squat", sets: [[5, 100]] }])));
    // Edits that change the summary, and edits that do not (a set's weight).
    for (const id of ids.slice(0, 4)) await first.update<"workout">(id, (w) => void (w.title = `${w.title} (heavy)`));
    for (const id of ids.slice(4, 8)) await first.update<"workout">(id, (w) => void (w.exercises[0]!.sets[0]!.weight = 105));
    // And workouts imported from an export file, queued to reach the relay too.
    const imported = await first.importData(workoutsExportFile([workout("Archived 1", []), workout("Archived 2", [])]));
    expect(imported.added).toBe(2);
    await first.close();
    clients.splice(0);

    const reads = new ReadsNoted(new IndexedDbStorage(name));
    const again = await open(reads);
    expect(reads.documentsRead.size).toBe(0);
    expect(again.list("workout")).toHaveLength(14);
    expect(again.list("workout").filter((w) => w.title.endsWith("(heavy)"))).toHaveLength(4);
    expect(again.status().queueDepth).toBe(14);
    await again.close();
    clients.splice(0);

    // The device stopped after writing the queue item of one more change and before its
    // document: the item announces heads the document never reached.
    const storage = new IndexedDbStorage(name);
    const suspect = ids[5]!;
    const itemKey = ["_ironflow", "queue", suspect];
    const item = JSON.parse(new TextDecoder().decode(await storage.load(itemKey))) as { heads?: string[] };
    expect(item.heads).toBeDefined();
    const stored = A.load<Record<string, unknown>>(Buffer.concat((await storage.loadRange([suspect])).flatMap((c) => (c.data ? [c.data] : []))));
    const ghost = A.change(stored, (d) => void (d["ghost"] = true));
    item.heads = A.getHeads(ghost);
    await storage.save(itemKey, new TextEncoder().encode(JSON.stringify(item)));

    const checked = new ReadsNoted(new IndexedDbStorage(name));
    const third = await open(checked);
    expect([...checked.documentsRead]).toEqual([suspect]);
    expect(third.list("workout")).toHaveLength(14);
    expect(third.status().queueDepth).toBe(14);
  });

  it("reads no copy of a waiting document in its queue item, and still opens and pushes an item an earlier build wrote with one", async () => {
    const name = "open-with-pending-no-copy";
    const first = await open(new IndexedDbStorage(name));
    const created = await first.create("workout", workout("Tuesday", [{ name: "Bench", sets: [[5, 80]] }]));
    const edited = await first.create("workout", workout("Thursday", [{ name: "Row", sets: [[8, 60]] }]));
    await first.update<"workout">(edited, (w) => void (w.title = "Thursday (heavy)"));
    await first.importData(workoutsExportFile([workout("Archived", [])]));
    const exported = await first.exportData();
    await first.close();
    clients.splice(0);

    // What the device stores for each waiting change, and so reads and decrypts when it opens:
    // the queue item holds no JSON of the document (the push never used it).
    const storage = new IndexedDbStorage(name);
    const stored = (await storage.loadRange(["_ironflow", "queue"])).map((c) => JSON.parse(new TextDecoder().decode(c.data)) as Record<string, unknown>);
    expect(stored).toHaveLength(3);
    for (const item of stored) expect(item).not.toHaveProperty("data");

    // An item as an earlier build wrote it, with the document's JSON inside: it opens, waits, and
    // reaches the relay like the others.
    const oldKey = ["_ironflow", "queue", created];
    const old = stored.find((item) => item["entityId"] === created)!;
    old["data"] = exported.entities.find((e) => e.id === created)!.data;
    await storage.save(oldKey, new TextEncoder().encode(JSON.stringify(old)));

    const relay = new ScriptedRelay();
    const again = await open(new IndexedDbStorage(name), relay);
    expect(again.status().queueDepth).toBe(3);
    expect(again.list("workout").map((w) => w.title).sort()).toEqual(["Archived", "Thursday (heavy)", "Tuesday"]);
    for (const item of again.queueItems()) expect(item).not.toHaveProperty("data");
    await again.syncNow();
    const pushed = relay.frames.flatMap((f) => (f.case === "sync" ? f.value.items.map((i) => i.entityId) : []));
    expect(pushed.sort()).toEqual([created, edited, exported.entities.find((e) => e.id !== created && e.id !== edited)!.id].sort());
    expect(again.status().queueDepth).toBe(0);
  });
});
