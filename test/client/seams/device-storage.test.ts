// Every device storage runs the same suite: files (Node, client/node/file-storage.ts), IndexedDB (the browser's, here the
// fake-indexeddb implementation of the standard), and later the encrypting wrapper around each.
import "fake-indexeddb/auto";
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb";
import { describe, expect, it } from "vitest";
import { KEY_KINDS } from "../../../client/core/storage/record-store.js";
import { IndexedDbStorage } from "../../../client/core/storage/indexeddb-storage.js";
import { EncryptedStorage, StorageUnreadable, newStorageKey, type StorageCipher } from "../../../client/core/storage/encrypted-storage.js";
import { FileStorage } from "../../../client/node/file-storage.js";
import { nodeStorageCipher } from "../../../client/node/node-cipher.js";
import { tempDir } from "../../support/devices.js";
import type { DeviceStorage } from "../../../client/core/storage/device-storage.js";
import { runDeviceStorageSuite, type StorageFixture } from "./device-storage.suite.js";

runDeviceStorageSuite("files (Node)", () => filesFixture());
runDeviceStorageSuite("IndexedDB (ours)", () => indexedDbFixture((name) => new IndexedDbStorage(name)));
runDeviceStorageSuite("IndexedDB (Automerge Repo's adapter)", () => indexedDbFixture((name) => new IndexedDBStorageAdapter(name)));
runDeviceStorageSuite("files, encrypted", async () => filesFixture(await newStorageKey()));
runDeviceStorageSuite("files, encrypted with Node's cipher", async () => filesFixture(nodeStorageCipher(await newStorageKey())));
runDeviceStorageSuite("IndexedDB (ours), encrypted", async () => {
  const key = await newStorageKey();
  return indexedDbFixture((name) => new EncryptedStorage(new IndexedDbStorage(name), key));
});

function filesFixture(key?: CryptoKey | StorageCipher): Promise<StorageFixture> {
  const dir = tempDir("storage-suite");
  const open = () => {
    const files = new FileStorage(dir.path);
    return key ? new EncryptedStorage(files, key) : files;
  };
  return Promise.resolve({ storage: open(), reopen: () => Promise.resolve(open()), close: () => {
      dir.remove();
      return Promise.resolve();
    } });
}

let databases = 0;
function indexedDbFixture(open: (name: string) => DeviceStorage): Promise<StorageFixture> {
  const name = `storage-suite-${++databases}`;
  return Promise.resolve({ storage: open(name), reopen: () => Promise.resolve(open(name)), close: () => Promise.resolve() });
}

describe("encryption at rest", () => {
  it("what reaches the storage underneath is ciphertext, with a fresh IV every time", async () => {
    const plain = new IndexedDBStorageAdapter(`sealed-${++databases}`);
    const sealed = new EncryptedStorage(plain, await newStorageKey());
    const secret = new TextEncoder().encode('{"title":"Leg day","weight":140}');
    await sealed.save(["_ironflow", "queue", "a"], secret);
    const first = (await plain.load(["_ironflow", "queue", "a"]))!;
    await sealed.save(["_ironflow", "queue", "a"], secret);
    const second = (await plain.load(["_ironflow", "queue", "a"]))!;
    expect(Buffer.from(first).includes(Buffer.from("Leg day"))).toBe(false);
    expect(Buffer.from(first).equals(Buffer.from(second))).toBe(false);
    expect(await sealed.load(["_ironflow", "queue", "a"])).toEqual(secret);
  });

  it("a value changed, moved under another key, or read with another key is refused, not returned", async () => {
    const plain = new IndexedDBStorageAdapter(`sealed-${++databases}`);
    const key = await newStorageKey();
    const sealed = new EncryptedStorage(plain, key);
    await sealed.save(["doc1", "snapshot", "s"], new Uint8Array([1, 2, 3]));
    const bytes = (await plain.load(["doc1", "snapshot", "s"]))!;
    await plain.save(["doc2", "snapshot", "s"], bytes);
    await expect(sealed.load(["doc2", "snapshot", "s"])).rejects.toBeInstanceOf(StorageUnreadable);
    const flipped = bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    await plain.save(["doc1", "snapshot", "s"], flipped);
    await expect(sealed.load(["doc1", "snapshot", "s"])).rejects.toBeInstanceOf(StorageUnreadable);
    await plain.save(["doc1", "snapshot", "s"], bytes);
    await expect(new EncryptedStorage(plain, await newStorageKey()).load(["doc1", "snapshot", "s"])).rejects.toBeInstanceOf(StorageUnreadable);
    expect(await sealed.load(["doc1", "snapshot", "s"])).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("a range with a value that does not open: loadRange refuses it whole, loadReadableRange sets that value apart with its key and reads the rest", async () => {
    const plain = new IndexedDBStorageAdapter(`sealed-${++databases}`);
    const sealed = new EncryptedStorage(plain, await newStorageKey());
    await sealed.save(["_ironflow", "entity", "a"], new Uint8Array([1]));
    await sealed.save(["_ironflow", "entity", "b"], new Uint8Array([2]));
    await plain.save(["_ironflow", "entity", "c"], new Uint8Array(40).fill(9));
    await expect(sealed.loadRange(["_ironflow", "entity"])).rejects.toBeInstanceOf(StorageUnreadable);
    const { chunks, unreadable } = await sealed.loadReadableRange(["_ironflow", "entity"]);
    expect(chunks.map((c) => [c.key.at(-1), [...c.data!]]).sort()).toEqual([["a", [1]], ["b", [2]]]);
    expect(unreadable.map((e) => [e.key, e.reason])).toEqual([[["_ironflow", "entity", "c"], "not a sealed value"]]);
  });

  it("opens what the stored form says was sealed (the key's segments joined by NUL, UTF-8, as additional data), for keys of any length, one by one and by range", async () => {
    const plain = new IndexedDBStorageAdapter(`sealed-${++databases}`);
    const key = await newStorageKey();
    // Sealed here as the stored form is specified, not by EncryptedStorage: what devices already keep.
    const sealAsSpecified = async (storageKey: string[], value: Uint8Array) => {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const additionalData = new TextEncoder().encode(storageKey.join("\u0000"));
      const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, new Uint8Array(value)));
      await plain.save(storageKey, new Uint8Array([1, ...iv, ...ciphertext]));
    };
    const short = ["_ironflow", "queue", "a"];
    const long = ["_ironflow", "peer", `${"p".repeat(600)}~cursor`];
    const values = [new TextEncoder().encode('{"title":"Leg day"}'), new TextEncoder().encode('{"cursor":42}')];
    await sealAsSpecified(short, values[0]!);
    await sealAsSpecified(long, values[1]!);
    const sealed = new EncryptedStorage(plain, key);
    expect(await sealed.load(short)).toEqual(values[0]);
    expect(await sealed.load(long)).toEqual(values[1]);
    const range = await sealed.loadRange(["_ironflow"]);
    expect(range.map((c) => c.key.join("/")).sort()).toEqual([long, short].map((k) => k.join("/")).sort());
    for (const chunk of range) expect(chunk.data).toEqual(chunk.key[1] === "peer" ? values[1] : values[0]);

    // Moved under a key that differs from its own only past its 512th character: refused.
    const moved = ["_ironflow", "peer", `${"p".repeat(600)}~cursox`];
    await plain.save(moved, (await plain.load(long))!);
    await expect(sealed.load(moved)).rejects.toBeInstanceOf(StorageUnreadable);
    await expect(sealed.loadRange(["_ironflow", "peer"])).rejects.toBeInstanceOf(StorageUnreadable);
  });
});

describe("Node's cipher beside WebCrypto's", () => {
  it("each opens what the other sealed on the same key, and both refuse a value changed or moved", async () => {
    const plain = new IndexedDBStorageAdapter(`sealed-${++databases}`);
    const key = await newStorageKey();
    const web = new EncryptedStorage(plain, key);
    const node = new EncryptedStorage(plain, nodeStorageCipher(key));
    const secret = new TextEncoder().encode('{"title":"Leg day","weight":140}');
    await web.save(["_ironflow", "queue", "a"], secret);
    expect(await node.load(["_ironflow", "queue", "a"])).toEqual(secret);
    await node.save(["_ironflow", "queue", "b"], secret);
    expect(Buffer.from((await plain.load(["_ironflow", "queue", "b"]))!).includes(Buffer.from("Leg day"))).toBe(false);
    expect(await web.load(["_ironflow", "queue", "b"])).toEqual(secret);
    expect((await node.loadRange(["_ironflow", "queue"])).map((c) => c.data)).toEqual([secret, secret]);

    const bytes = (await plain.load(["_ironflow", "queue", "b"]))!;
    await plain.save(["_ironflow", "queue", "moved"], bytes);
    await expect(node.load(["_ironflow", "queue", "moved"])).rejects.toBeInstanceOf(StorageUnreadable);
    const flipped = bytes.slice();
    flipped[flipped.length - 1]! ^= 1;
    await plain.save(["_ironflow", "queue", "b"], flipped);
    await expect(node.load(["_ironflow", "queue", "b"])).rejects.toBeInstanceOf(StorageUnreadable);
    await expect(new EncryptedStorage(plain, nodeStorageCipher(await newStorageKey())).load(["_ironflow", "queue", "a"])).rejects.toBeInstanceOf(StorageUnreadable);
  });
});

describe("IndexedDB layout", () => {
  it("what Automerge Repo's IndexedDB adapter stored, ours reads, ranges included", async () => {
    const name = `layout-${++databases}`;
    await new IndexedDBStorageAdapter(name).save(["doc1", "snapshot", "s1"], new Uint8Array([4, 2]));
    const ours = new IndexedDbStorage(name);
    expect(await ours.load(["doc1", "snapshot", "s1"])).toEqual(new Uint8Array([4, 2]));
    expect((await ours.loadRange(["doc1"])).map((c) => c.key)).toEqual([["doc1", "snapshot", "s1"]]);
  });
});

describe("the device's keys", () => {
  it("no record kind (nor the pages' segments) is a string prefix of another, so a range of one never reads another's", () => {
    for (const a of KEY_KINDS) for (const b of KEY_KINDS) if (a !== b) expect(b.startsWith(a), `${a} / ${b}`).toBe(false);
  });
});
