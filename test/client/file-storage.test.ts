// The device's file storage (client/node/file-storage.ts): Automerge Repo's acceptance clauses
// for storage adapters (our device storage suite runs on it too, in test/client/seams), and what
// the adapter it replaces got wrong: torn values after a kill, ranges matched by string prefix,
// every value kept in memory.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import type { Chunk } from "@automerge/automerge-repo/slim";
import { describe, expect, it } from "vitest";
import { FileStorage, InvalidStorageKey } from "../../client/node/file-storage.js";
import { tempDir } from "../support/devices.js";

// Automerge Repo's acceptance suite for storage adapters (runStorageAdapterTests, in
// @automerge/automerge-repo/helpers/tests), clause by clause. Its loadRange clauses expect the
// entries in the order they were saved, which only an adapter that keeps every value in memory
// gives (the interface promises no order, and Automerge Repo's StorageSubsystem needs none), so
// here a range is compared in key order.
describe("Automerge Repo's storage adapter acceptance clauses (FileStorage)", () => {
  const A = () => new Uint8Array([0, 1, 127, 99, 154, 235]);
  const B = () => new Uint8Array([1, 76, 160, 53, 57, 10, 230]);
  const C = () => new Uint8Array([2, 111, 74, 131, 236, 96, 142, 193]);
  const large = new Uint8Array(100_000).map((_, i) => (i * 7919) % 256);
  const inKeyOrder = (chunks: Chunk[]) => [...chunks].sort((a, b) => a.key.join("/").localeCompare(b.key.join("/")));
  const adapterTest = (name: string, fn: (adapter: FileStorage) => Promise<void>) => it(name, () => withDir((path) => fn(new FileStorage(path))));

  adapterTest("load: undefined when there is no data", async (adapter) => {
    expect(await adapter.load(["AAAAA", "sync-state", "xxxxx"])).toBeUndefined();
  });
  adapterTest("save and load: the data saved, under a one-segment key, a composite key, and for a large payload", async (adapter) => {
    await adapter.save(["storage-adapter-id"], A());
    expect(await adapter.load(["storage-adapter-id"])).toStrictEqual(A());
    await adapter.save(["AAAAA", "sync-state", "xxxxx"], A());
    expect(await adapter.load(["AAAAA", "sync-state", "xxxxx"])).toStrictEqual(A());
    await adapter.save(["AAAAA", "sync-state", "xxxxx"], large);
    expect(await adapter.load(["AAAAA", "sync-state", "xxxxx"])).toStrictEqual(large);
  });
  adapterTest("loadRange: an empty array when there is no data", async (adapter) => {
    expect(await adapter.loadRange(["AAAAA"])).toStrictEqual([]);
  });
  adapterTest("loadRange: all the data under the key, and only under it", async (adapter) => {
    await adapter.save(["AAAAA", "sync-state", "xxxxx"], A());
    await adapter.save(["AAAAA", "snapshot", "yyyyy"], B());
    await adapter.save(["AAAAA", "sync-state", "zzzzz"], C());
    await adapter.save(["BBBBB", "sync-state", "zzzzz"], C());
    expect(inKeyOrder(await adapter.loadRange(["AAAAA"]))).toStrictEqual([
      { key: ["AAAAA", "snapshot", "yyyyy"], data: B() },
      { key: ["AAAAA", "sync-state", "xxxxx"], data: A() },
      { key: ["AAAAA", "sync-state", "zzzzz"], data: C() },
    ]);
    expect(inKeyOrder(await adapter.loadRange(["AAAAA", "sync-state"]))).toStrictEqual([
      { key: ["AAAAA", "sync-state", "xxxxx"], data: A() },
      { key: ["AAAAA", "sync-state", "zzzzz"], data: C() },
    ]);
  });
  adapterTest("save and remove: after removing, the range is empty", async (adapter) => {
    await adapter.save(["AAAAA", "snapshot", "xxxxx"], A());
    await adapter.remove(["AAAAA", "snapshot", "xxxxx"]);
    expect(await adapter.loadRange(["AAAAA"])).toStrictEqual([]);
    expect(await adapter.load(["AAAAA", "snapshot", "xxxxx"])).toBeUndefined();
  });
  adapterTest("save and save: the second overwrites the first", async (adapter) => {
    await adapter.save(["AAAAA", "sync-state", "xxxxx"], A());
    await adapter.save(["AAAAA", "sync-state", "xxxxx"], B());
    expect(await adapter.loadRange(["AAAAA", "sync-state"])).toStrictEqual([{ key: ["AAAAA", "sync-state", "xxxxx"], data: B() }]);
  });
  adapterTest("removeRange: removes the range, and nothing outside it", async (adapter) => {
    await adapter.save(["AAAAA", "sync-state", "xxxxx"], A());
    await adapter.save(["AAAAA", "snapshot", "yyyyy"], B());
    await adapter.save(["AAAAA", "sync-state", "zzzzz"], C());
    await adapter.save(["BBBBB", "sync-state", "zzzzz"], C());
    await adapter.removeRange(["AAAAA", "sync-state"]);
    expect(await adapter.loadRange(["AAAAA"])).toStrictEqual([{ key: ["AAAAA", "snapshot", "yyyyy"], data: B() }]);
    await adapter.removeRange(["AAAAA"]);
    expect(await adapter.loadRange(["BBBBB"])).toStrictEqual([{ key: ["BBBBB", "sync-state", "zzzzz"], data: C() }]);
  });
});

function withDir<T>(fn: (path: string) => Promise<T>): Promise<T> {
  const dir = tempDir("file-storage");
  return fn(dir.path).finally(() => dir.remove());
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe("FileStorage", () => {
  it("reads a folder Automerge Repo's NodeFSStorageAdapter wrote, ranges included", () =>
    withDir(async (path) => {
      const old = new NodeFSStorageAdapter(path);
      await old.save(["doc1abc", "snapshot", "s1"], bytes(1));
      await old.save(["doc1abc", "incremental", "i1"], bytes(2));
      await old.save(["storage-adapter-id"], bytes(3));
      await old.save(["k", "a"], bytes(4));
      const ours = new FileStorage(path);
      expect(await ours.load(["doc1abc", "snapshot", "s1"])).toEqual(bytes(1));
      expect(await ours.load(["storage-adapter-id"])).toEqual(bytes(3));
      const all = (await ours.loadRange([])).map((c) => c.key.join("/")).sort();
      expect(all).toEqual(["doc1abc/incremental/i1", "doc1abc/snapshot/s1", "k/a", "storage-adapter-id"]);
    }));

  it("a range matches whole segments: ['doc1', 'inc'] is not a prefix of ['doc1', 'incremental', ...]", () =>
    withDir(async (path) => {
      const storage = new FileStorage(path);
      await storage.save(["doc1", "incremental", "i1"], bytes(1));
      await storage.save(["doc1", "inc", "i2"], bytes(2));
      await storage.save(["doc1x", "incremental", "i3"], bytes(3));
      expect((await storage.loadRange(["doc1", "inc"])).map((c) => c.key)).toEqual([["doc1", "inc", "i2"]]);
      expect((await storage.loadRange(["doc1"])).map((c) => c.key.join("/")).sort()).toEqual(["doc1/inc/i2", "doc1/incremental/i1"]);
      await storage.removeRange(["doc1", "inc"]);
      expect(await storage.load(["doc1", "incremental", "i1"])).toEqual(bytes(1));
      await storage.removeRange(["doc1"]);
      expect(await storage.load(["doc1x", "incremental", "i3"])).toEqual(bytes(3));
    }));

  it("a range whose prefix is a whole key holds that key", () =>
    withDir(async (path) => {
      const storage = new FileStorage(path);
      await storage.save(["storage-adapter-id"], bytes(4));
      expect(await storage.loadRange(["storage-adapter-id"])).toEqual([{ key: ["storage-adapter-id"], data: bytes(4) }]);
    }));

  it("a key the layout cannot hold is refused with InvalidStorageKey, and nothing is written outside the folder", () =>
    withDir(async (path) => {
      const storage = new FileStorage(path);
      await expect(storage.save([], bytes(1))).rejects.toBeInstanceOf(InvalidStorageKey);
      for (const key of [["doc1", ".."], ["doc1", "a/b"], ["doc1", ""], ["ab", "x"], ["doc1", "x@1"]]) {
        await expect(storage.save(key, bytes(1)), JSON.stringify(key)).rejects.toBeInstanceOf(InvalidStorageKey);
      }
      await expect(storage.load(["../../etc", "passwd"])).rejects.toBeInstanceOf(InvalidStorageKey);
      expect(readdirSync(path)).toEqual([]);
    }));

  it("holds every key the device writes: a LAN peer's cursor record is keyed `<peer>~cursor`", () =>
    withDir(async (path) => {
      const storage = new FileStorage(path);
      const key = ["_ironflow", "peer", "c7c7c54b00dc40777dd7db51~cursor"];
      await storage.save(key, bytes(3));
      expect(await storage.load(key)).toEqual(bytes(3));
      expect(await storage.loadRange(["_ironflow", "peer"])).toEqual([{ key, data: bytes(3) }]);
    }));

  it("saves and removes of one key, called without waiting, land in the order they were called", () =>
    withDir(async (path) => {
      const storage = new FileStorage(path);
      const key = ["_ironflow", "queue", "q1"];
      const calls = Array.from({ length: 20 }, (_, i) => storage.save(key, new Uint8Array(50_000 - i * 1000).fill(i)));
      const last = storage.load(key);
      await Promise.all(calls);
      expect((await last)?.[0]).toBe(19);
      void storage.save(key, bytes(7));
      const removed = storage.remove(key);
      expect(await storage.load(key)).toBeUndefined();
      await removed;
    }));

  it("keeps no value in memory: a value changed on disk underneath is what load returns", () =>
    withDir(async (path) => {
      const storage = new FileStorage(path);
      await storage.save(["doc1", "snapshot", "s"], bytes(1));
      await new FileStorage(path).save(["doc1", "snapshot", "s"], bytes(2));
      expect(await storage.load(["doc1", "snapshot", "s"])).toEqual(bytes(2));
    }));

  it("a process killed while saving leaves the old value or the new one, whole; its temporary file is gone after the next range read", () =>
    withDir(async (path) => {
      const size = 16 * 1024 * 1024;
      // Each kill comes as the writer reports its third save: it is then inside its fourth.
      for (let kill = 0; kill < 5; kill++) {
        const child = spawn(process.execPath, ["--import", "tsx", "test/support/file-writer-process.ts", path, String(size)], { stdio: ["ignore", "pipe", "inherit"] });
        const exited = new Promise((resolve) => child.once("exit", resolve));
        for await (const line of createInterface({ input: child.stdout })) {
          if (line === "saved 3") {
            child.kill("SIGKILL");
            break;
          }
        }
        await exited;
        const storage = new FileStorage(path);
        const value = await storage.load(["doc-killed", "snapshot", "s"]);
        expect(value?.length).toBe(size);
        const first = value![0]!;
        expect([1, 2]).toContain(first);
        expect(value!.every((b) => b === first)).toBe(true);
        expect((await storage.loadRange(["doc-killed"])).map((c) => c.key)).toEqual([["doc-killed", "snapshot", "s"]]);
      }
      // The killed saves' temporary files went with the ranges read after each kill.
      expect(readdirSync(join(path, "do", "c-killed", "snapshot"))).toEqual(["s"]);
    }), 180_000); // five writer processes, each writing 64 MB: over a minute on a loaded two-core machine
});
