// Records kept in pages (client/core/storage/record-pages.ts): a store that opens with many loose
// records moves them into pages, reads the same before and after, loses none to a process killed
// while it moves them, and names the records of a page that does not open.
import "fake-indexeddb/auto";
import { spawn } from "node:child_process";
import { cpSync } from "node:fs";
import { createInterface } from "node:readline";
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import { afterEach, describe, expect, it } from "vitest";
import { EncryptedStorage, newStorageKey } from "../../client/core/storage/encrypted-storage.js";
import { IndexedDbStorage } from "../../client/core/storage/indexeddb-storage.js";
import { PACK_AFTER, PAGE_RECORDS } from "../../client/core/storage/record-pages.js";
import { RecordStore } from "../../client/core/storage/record-store.js";
import { FileStorage } from "../../client/node/file-storage.js";
import { nodeStorageCipher } from "../../client/node/node-cipher.js";
import { tempDir } from "../support/devices.js";

interface Item {
  id: string;
  n: number;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function folder(): string {
  const dir = tempDir("record-pages");
  cleanups.push(() => dir.remove());
  return dir.path;
}

let databases = 0;
/** The storage as the device opens it (encrypted), and what it wraps (to damage a value). */
interface Storages {
  open: () => StorageAdapterInterface;
  raw: () => StorageAdapterInterface;
}

const storages: [string, () => Promise<Storages>][] = [
  ["files, encrypted with Node's cipher", async () => {
    const path = folder();
    const cipher = nodeStorageCipher(await newStorageKey());
    const raw = () => new FileStorage(path);
    return { raw, open: () => new EncryptedStorage(raw(), cipher) };
  }],
  ["IndexedDB (ours), encrypted", async () => {
    const name = `record-pages-${++databases}`;
    const key = await newStorageKey();
    const raw = () => new IndexedDbStorage(name);
    return { raw, open: () => new EncryptedStorage(raw(), key) };
  }],
];

const item = (i: number, n = 0): Item => ({ id: `w${String(i).padStart(5, "0")}`, n });
const byId = (items: Item[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));

/** Opens a packing store as a device does, and waits for the pack it starts. */
async function opened(storage: StorageAdapterInterface): Promise<{ store: RecordStore<Item>; values: Item[] }> {
  const store = new RecordStore<Item>(storage, "entity", { pack: true });
  const { values, unreadable } = await store.readable();
  expect(unreadable).toEqual([]);
  await store.settled();
  return { store, values };
}

async function keys(storage: StorageAdapterInterface, ...prefix: string[]): Promise<string[]> {
  return (await storage.loadRange(["_ironflow", ...prefix])).map((c) => c.key.slice(1).join("/"));
}

describe.each(storages)("records in pages: %s", (_name, make) => {
  it("a store that opens with many loose records moves them into pages of 256, and reads the same after", async () => {
    const { open } = await make();
    const count = 2 * PAGE_RECORDS + 10;
    const written = Array.from({ length: count }, (_, i) => item(i));
    // Written by a store that does not pack (as a device killed before its pack leaves them).
    const first = new RecordStore<Item>(open(), "entity");
    for (const value of written) await first.put(value.id, value);

    expect(byId((await opened(open())).values)).toEqual(written);
    const storage = open();
    expect(await keys(storage, "entity")).toEqual([]);
    expect(await keys(storage, "page", "entity")).toEqual(["page/entity/0000", "page/entity/0001", "page/entity/0002"]);
    expect(await keys(storage, "members", "entity")).toEqual(["members/entity/0000", "members/entity/0001", "members/entity/0002"]);
    expect(byId((await opened(open())).values)).toEqual(written);
    expect(await new RecordStore<Item>(open(), "entity").get(written[300]!.id)).toEqual(written[300]);
  });

  it("an edit after the pack is a loose record over the page's copy, a removal a loose null; the next pack takes both in", async () => {
    const { open } = await make();
    const seed = new RecordStore<Item>(open(), "entity");
    for (let i = 0; i < PAGE_RECORDS + 1; i++) await seed.put(item(i).id, item(i));
    const { store } = await opened(open());
    await store.put(item(3).id, item(3, 1));
    await store.remove(item(4).id);
    // The last page's only record: the page goes with it at the next pack.
    await store.remove(item(PAGE_RECORDS).id);
    await store.put(item(9999).id, item(9999));
    const kept = new Map(Array.from({ length: PAGE_RECORDS }, (_, i) => [item(i).id, item(i)]));
    kept.set(item(3).id, item(3, 1));
    kept.delete(item(4).id);
    kept.set(item(9999).id, item(9999));
    const expected = byId([...kept.values()]);

    const reopened = await opened(open());
    expect(byId(reopened.values)).toEqual(expected);
    expect(await keys(open(), "entity")).toHaveLength(4); // below PACK_AFTER: left loose
    expect(await reopened.store.get(item(4).id)).toBeUndefined();
    expect(await reopened.store.get(item(3).id)).toEqual(item(3, 1));

    // As writes come, the store packs once its loose records are a quarter of the paged ones
    // (and PACK_AFTER at least); the emptied page took the new records.
    for (let i = 0; i < PACK_AFTER; i++) await reopened.store.put(item(5000 + i).id, item(5000 + i));
    await reopened.store.settled();
    expect((await keys(open(), "entity")).length).toBeLessThan(PACK_AFTER);
    expect(byId((await opened(open())).values)).toEqual(byId([...expected, ...Array.from({ length: PACK_AFTER }, (_, i) => item(5000 + i))]));
    expect(await keys(open(), "page", "entity")).toEqual(["page/entity/0000", "page/entity/0001"]);
  });

  it("a page all of whose records are removed goes, with its list", async () => {
    const { open } = await make();
    const seed = new RecordStore<Item>(open(), "entity");
    for (let i = 0; i < PAGE_RECORDS + 44; i++) await seed.put(item(i).id, item(i));
    await opened(open());
    // Removed by a store that does not pack (a loose null over each paged record): the last
    // page's 44 and 20 of the first's.
    const remover = new RecordStore<Item>(open(), "entity");
    const removed = [...Array.from({ length: 44 }, (_, i) => item(PAGE_RECORDS + i).id), ...Array.from({ length: 20 }, (_, i) => item(i * 3).id)];
    for (const id of removed) await remover.remove(id);
    const kept = Array.from({ length: PAGE_RECORDS + 44 }, (_, i) => item(i)).filter((v) => !removed.includes(v.id));
    expect(byId((await opened(open())).values)).toEqual(kept);
    expect(await keys(open(), "page", "entity")).toEqual(["page/entity/0000"]);
    expect(await keys(open(), "members", "entity")).toEqual(["members/entity/0000"]);
    expect(await keys(open(), "entity")).toEqual([]);
    expect(byId((await opened(open())).values)).toEqual(kept);
  });

  it("writes and removals made all at once, while the store packs as they come, all read back", async () => {
    const { open } = await make();
    const seed = new RecordStore<Item>(open(), "entity");
    for (let i = 0; i < 2 * PAGE_RECORDS; i++) await seed.put(item(i).id, item(i));
    const { store } = await opened(open());
    const expected = new Map(Array.from({ length: 2 * PAGE_RECORDS }, (_, i) => [item(i).id, item(i)]));
    // 600 calls at once, each on its own record: edits of paged ones, new ones, removals.
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 600; i++) {
      const id = item(i * 2).id;
      if (i % 5 === 4) {
        calls.push(store.remove(id));
        expected.delete(id);
      } else {
        calls.push(store.put(id, item(i * 2, 1)));
        expected.set(id, item(i * 2, 1));
      }
    }
    await Promise.all(calls);
    await store.settled();
    expect((await keys(open(), "entity")).length).toBeLessThan(600);
    expect(byId(await new RecordStore<Item>(open(), "entity").all())).toEqual(byId([...expected.values()]));
    expect(byId((await opened(open())).values)).toEqual(byId([...expected.values()]));
  });

  it("a page that does not open names its records for recovery; with its list of records damaged too, the page alone", async () => {
    const { open, raw } = await make();
    const seed = new RecordStore<Item>(open(), "entity");
    for (let i = 0; i < PAGE_RECORDS + 20; i++) await seed.put(item(i).id, item(i));
    const { store } = await opened(open());
    await store.put(item(7).id, item(7, 1)); // loose over the damaged page: found, not damaged

    await raw().save(["_ironflow", "page", "entity", "0000"], new Uint8Array(64).fill(7));
    const damaged = await new RecordStore<Item>(open(), "entity", { pack: true }).readable();
    expect(damaged.values.map((v) => v.id).sort()).toEqual([item(7).id, ...Array.from({ length: 20 }, (_, i) => item(PAGE_RECORDS + i).id)].sort());
    expect(damaged.unreadable).toHaveLength(PAGE_RECORDS - 1);
    expect(damaged.unreadable[0]).toMatchObject({ kind: "entity", page: "0000" });
    expect(damaged.unreadable[0]?.reason).toContain("its page 0000 does not open");
    expect(damaged.unreadable.map((u) => u.id)).not.toContain(item(7).id);

    await raw().save(["_ironflow", "members", "entity", "0000"], new Uint8Array(64).fill(7));
    const blind = await new RecordStore<Item>(open(), "entity", { pack: true }).readable();
    expect(blind.unreadable).toHaveLength(1);
    expect(blind.unreadable[0]).toMatchObject({ kind: "entity", id: "", page: "0000" });
    expect(blind.unreadable[0]?.reason).toContain("page 0000 and its list of records do not open");
  });
});

describe("records in pages, without packing", () => {
  it("a store made without `pack` (or opening with fewer loose records than PACK_AFTER) leaves them loose", async () => {
    const path = folder();
    const plain = new RecordStore<Item>(new FileStorage(path), "notice");
    for (let i = 0; i < PACK_AFTER * 2; i++) await plain.put(item(i).id, item(i));
    await plain.readable();
    await plain.settled();
    expect(await keys(new FileStorage(path), "notice")).toHaveLength(PACK_AFTER * 2);
    const few = new RecordStore<Item>(new FileStorage(path), "entity", { pack: true });
    for (let i = 0; i < PACK_AFTER - 1; i++) await few.put(item(i).id, item(i));
    await opened(new FileStorage(path));
    expect(await keys(new FileStorage(path), "entity")).toHaveLength(PACK_AFTER - 1);
  });
});

describe("a process killed while it packs", () => {
  it("loses no record, brings back no removed one, and the next open finishes the pack", async () => {
    // A folder with pages, then loose records over them: edits of paged records, removals of
    // paged ones, and new ones, as a device leaves them between two opens.
    const prepared = folder();
    const seed = new RecordStore<Item>(new FileStorage(prepared), "entity");
    for (let i = 0; i < PAGE_RECORDS + 40; i++) await seed.put(item(i).id, item(i));
    await opened(new FileStorage(prepared));
    // Loose writes that no pack has taken in yet (a store that packs would at a quarter of them).
    const store = new RecordStore<Item>(new FileStorage(prepared), "entity");
    await store.readable();
    const expected = new Map(Array.from({ length: PAGE_RECORDS + 40 }, (_, i) => [item(i).id, item(i)]));
    for (let i = 0; i < 40; i++) {
      await store.put(item(i * 7).id, item(i * 7, 2));
      expected.set(item(i * 7).id, item(i * 7, 2));
    }
    for (let i = 0; i < 10; i++) {
      await store.remove(item(i * 7 + 1).id);
      expected.delete(item(i * 7 + 1).id);
    }
    for (let i = 0; i < PAGE_RECORDS; i++) {
      await store.put(item(10_000 + i).id, item(10_000 + i));
      expected.set(item(10_000 + i).id, item(10_000 + i));
    }
    const want = byId([...expected.values()]);

    // Killed as it reports its k-th write or removal done (so inside the next), at points from
    // the pages' first write to the loose records' removal.
    for (const k of [0, 1, 2, 3, 4, 5, 6]) {
      const path = folder();
      cpSync(prepared, path, { recursive: true });
      const child = spawn(process.execPath, ["--import", "tsx", "test/support/record-pack-process.ts", path], { stdio: ["ignore", "pipe", "inherit"] });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let finished = false;
      for await (const line of createInterface({ input: child.stdout })) {
        if (line === `op ${k}` || (k === 0 && line.startsWith("op"))) {
          child.kill("SIGKILL");
          break;
        }
        if (line === "packed") finished = true;
      }
      await exited;
      expect(finished, `the pack finished before op ${k}`).toBe(false);
      expect(byId(await new RecordStore<Item>(new FileStorage(path), "entity").all()), `killed after op ${k}`).toEqual(want);
      expect(byId((await opened(new FileStorage(path))).values), `reopened after op ${k}`).toEqual(want);
      expect(await keys(new FileStorage(path), "entity"), `after op ${k}`).toEqual([]);
    }
  }, 120_000);
});
