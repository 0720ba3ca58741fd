// Every device storage runs the same suite: files (Node), IndexedDB (the browser's, here the
// fake-indexeddb implementation of the standard), and later the encrypting wrapper around each.
import "fake-indexeddb/auto";
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import { describe, expect, it } from "vitest";
import { RECORD_KINDS } from "../../../client/core/storage/record-store.js";
import { tempDir } from "../../support/devices.js";
import { runDeviceStorageSuite } from "./device-storage.suite.js";

runDeviceStorageSuite("files (Node)", async () => {
  const dir = tempDir("storage-suite");
  return {
    storage: new NodeFSStorageAdapter(dir.path),
    reopen: async () => new NodeFSStorageAdapter(dir.path),
    close: async () => dir.remove(),
  };
});

let databases = 0;
runDeviceStorageSuite("IndexedDB", async () => {
  const name = `storage-suite-${++databases}`;
  return {
    storage: new IndexedDBStorageAdapter(name),
    reopen: async () => new IndexedDBStorageAdapter(name),
    close: async () => undefined,
  };
});

describe("the device's keys", () => {
  it("no record kind is a string prefix of another, so a range of one never reads another's", () => {
    for (const a of RECORD_KINDS) for (const b of RECORD_KINDS) if (a !== b) expect(b.startsWith(a), `${a} / ${b}`).toBe(false);
  });
});
