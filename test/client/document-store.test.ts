// The device's Automerge documents in storage: saved when the call resolves, compacted as they
// grow, and let go of from memory without a single write (the Automerge Repo trap that emptied
// workouts after long catch-ups).
import "fake-indexeddb/auto";
import * as A from "@automerge/automerge";
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb";
import { describe, expect, it } from "vitest";
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import { DocumentStore } from "../../client/core/storage/document-store.js";

let databases = 0;

/** The real IndexedDB adapter, counting writes, and failing them when told to (a full disk). */
class WatchedStorage implements StorageAdapterInterface {
  writes = 0;
  failWrites = false;
  constructor(private readonly inner: StorageAdapterInterface = new IndexedDBStorageAdapter(`document-store-${++databases}`)) {}
  load(key: StorageKey) {
    return this.inner.load(key);
  }
  loadRange(prefix: StorageKey): Promise<Chunk[]> {
    return this.inner.loadRange(prefix);
  }
  async save(key: StorageKey, data: Uint8Array) {
    if (this.failWrites) throw new Error("QuotaExceededError: the device is out of space");
    this.writes += 1;
    await this.inner.save(key, data);
  }
  async remove(key: StorageKey) {
    this.writes += 1;
    await this.inner.remove(key);
  }
  removeRange(prefix: StorageKey) {
    return this.inner.removeRange(prefix);
  }
}

const ID = "2fxs1aZgvvPcyZVKzQEyqG2HDEXR";

async function read(store: DocumentStore, id = ID): Promise<unknown> {
  return store.read(id, (doc) => A.toJS(doc));
}

describe("the device's document store", () => {
  it("what create and update stored reads back in a new store on the same storage", async () => {
    const storage = new WatchedStorage();
    const store = new DocumentStore(storage);
    await store.create(ID, A.from({ sets: [1] }));
    for (let i = 2; i <= 30; i++) {
      await store.update(ID, (doc) => ({ doc: A.change(doc as A.Doc<{ sets: number[] }>, (d) => void d.sets.push(i)), value: undefined }));
    }
    const reopened = new DocumentStore(storage);
    expect(await read(reopened)).toEqual({ sets: Array.from({ length: 30 }, (_, i) => i + 1) });
    // Incremental saves are compacted into a snapshot as they grow: not one chunk per change.
    expect((await storage.loadRange([ID])).length).toBeLessThan(10);
  });

  it("letting go of documents, by release or by the cache filling up, never writes", async () => {
    const storage = new WatchedStorage();
    const store = new DocumentStore(storage, 2);
    const ids = ["2fxs1aZgvvPcyZVKzQEyqG2HDEXR", "3B2jdhPPGbnB2YDmhnfVzaEjjrFx", "4DNXn33S2GwA4pCiiurA9hrwTzDA"];
    for (const [i, id] of ids.entries()) await store.create(id, A.from({ n: i }));
    const written = storage.writes;
    store.release(ids[2]!);
    for (const id of ids) await read(store, id); // loading the third evicts the first
    for (const id of ids) store.release(id);
    expect(storage.writes).toBe(written);
    expect(store.cachedCount).toBe(0);
    expect(await Promise.all(ids.map((id) => read(store, id)))).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
  });

  it("a write that fails rejects, and the document reads as it was stored before it", async () => {
    const storage = new WatchedStorage();
    const store = new DocumentStore(storage);
    await store.create(ID, A.from({ title: "Legs" }));
    storage.failWrites = true;
    await expect(store.update(ID, (doc) => ({ doc: A.change(doc as A.Doc<{ title: string }>, (d) => void (d.title = "Lost")), value: undefined }))).rejects.toThrow(/out of space/);
    storage.failWrites = false;
    expect(await read(store)).toEqual({ title: "Legs" });
    await store.update(ID, (doc) => ({ doc: A.change(doc as A.Doc<{ title: string }>, (d) => void (d.title = "Legs, heavy")), value: undefined }));
    expect(await read(new DocumentStore(storage))).toEqual({ title: "Legs, heavy" });
  });

  it("a document storage does not have reads as undefined, and updating it is refused", async () => {
    const store = new DocumentStore(new WatchedStorage());
    expect(await read(store)).toBeUndefined();
    await expect(store.update(ID, (doc) => ({ doc, value: undefined }))).rejects.toThrow(/no document/);
  });
});
