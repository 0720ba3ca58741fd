// The device storage seam's contract (client/core/storage/device-storage.ts), clause by clause.
// Every implementation runs it; a fake may stand in for one only once it passes.
import { describe, expect, it } from "vitest";
import type { DeviceStorage } from "../../../client/core/storage/device-storage.js";

export interface StorageFixture {
  storage: DeviceStorage;
  /** The same storage opened again (a restarted device). */
  reopen: () => Promise<DeviceStorage>;
  close: () => Promise<void>;
}

const bytes = (...values: number[]) => new Uint8Array(values);

export function runDeviceStorageSuite(name: string, setup: () => Promise<StorageFixture>): void {
  describe(`device storage: ${name}`, () => {
    async function withStorage(fn: (f: StorageFixture) => Promise<void>): Promise<void> {
      const fixture = await setup();
      try {
        await fn(fixture);
      } finally {
        await fixture.close();
      }
    }

    it("load of a key never saved resolves undefined", () =>
      withStorage(async ({ storage }) => {
        expect(await storage.load(["doc", "snapshot", "nothing"])).toBeUndefined();
      }));

    it("save then load gives the same bytes; saving again replaces them", () =>
      withStorage(async ({ storage }) => {
        await storage.save(["_ironflow", "queue", "a"], bytes(1, 2, 3));
        expect(await storage.load(["_ironflow", "queue", "a"])).toEqual(bytes(1, 2, 3));
        await storage.save(["_ironflow", "queue", "a"], bytes(9));
        expect(await storage.load(["_ironflow", "queue", "a"])).toEqual(bytes(9));
      }));

    it("what save stored survives reopening the storage", () =>
      withStorage(async (fixture) => {
        const big = new Uint8Array(300_000).map((_, i) => i % 251);
        await fixture.storage.save(["doc1", "incremental", "h1"], big);
        const reopened = await fixture.reopen();
        const loaded = await reopened.load(["doc1", "incremental", "h1"]);
        expect(loaded && Buffer.from(loaded).equals(Buffer.from(big))).toBe(true);
      }));

    it("loadRange returns every entry under the prefix, with full keys, and none under another", () =>
      withStorage(async ({ storage }) => {
        await storage.save(["doc1", "snapshot", "s1"], bytes(1));
        await storage.save(["doc1", "incremental", "i1"], bytes(2));
        await storage.save(["doc1", "incremental", "i2"], bytes(3));
        await storage.save(["doc2", "incremental", "i4"], bytes(5));
        const chunks = await storage.loadRange(["doc1", "incremental"]);
        const found = chunks.map((c) => [c.key.join("/"), [...(c.data ?? [])]]).sort();
        expect(found).toEqual([
          ["doc1/incremental/i1", [2]],
          ["doc1/incremental/i2", [3]],
        ]);
        expect((await storage.loadRange(["doc1"])).length).toBe(3);
      }));

    it("keys hold the characters our ids use", () =>
      withStorage(async ({ storage }) => {
        const key = ["_ironflow", "seen", "000001795197600000:000003:9f0c-ab#2"];
        await storage.save(key, bytes(7));
        await storage.save(["_ironflow", "duplicate", "idA+idB"], bytes(8));
        expect(await storage.load(key)).toEqual(bytes(7));
        expect((await storage.loadRange(["_ironflow", "seen"])).map((c) => c.key)).toEqual([key]);
      }));

    it("remove deletes one key; removing what is not there is no error", () =>
      withStorage(async ({ storage }) => {
        await storage.save(["k", "a"], bytes(1));
        await storage.save(["k", "b"], bytes(2));
        await storage.remove(["k", "a"]);
        await storage.remove(["k", "never"]);
        expect(await storage.load(["k", "a"])).toBeUndefined();
        expect(await storage.load(["k", "b"])).toEqual(bytes(2));
      }));

    it("removeRange deletes everything under the prefix and nothing else", () =>
      withStorage(async ({ storage }) => {
        await storage.save(["doc1", "incremental", "i1"], bytes(1));
        await storage.save(["doc1", "snapshot", "s1"], bytes(2));
        await storage.save(["doc2", "snapshot", "s2"], bytes(3));
        await storage.removeRange(["doc1"]);
        await storage.removeRange(["nothing"]);
        expect(await storage.loadRange(["doc1"])).toEqual([]);
        expect(await storage.load(["doc2", "snapshot", "s2"])).toEqual(bytes(3));
      }));

    it("many saves at once all land", () =>
      withStorage(async (fixture) => {
        await Promise.all(Array.from({ length: 50 }, (_, i) => fixture.storage.save(["_ironflow", "entity", `e${i}`], bytes(i))));
        const reopened = await fixture.reopen();
        expect((await reopened.loadRange(["_ironflow", "entity"])).length).toBe(50);
      }));
  });
}
