// Opens a packing record store on a folder that holds many loose records, for the test that kills
// it while it moves them into pages: prints "op <n>" after each write or removal it makes, then
// "packed". Args: directory.
import type { StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import { RecordStore } from "../../client/core/storage/record-store.js";
import { FileStorage } from "../../client/node/file-storage.js";

const [directory] = process.argv.slice(2);
const files = new FileStorage(directory!);
let ops = 0;
const told = <T>(done: Promise<T>): Promise<T> => done.then((value) => (process.stdout.write(`op ${++ops}\n`), value));
const storage: StorageAdapterInterface = {
  load: (key: StorageKey) => files.load(key),
  loadRange: (prefix: StorageKey) => files.loadRange(prefix),
  save: (key: StorageKey, data: Uint8Array) => told(files.save(key, data)),
  remove: (key: StorageKey) => told(files.remove(key)),
  removeRange: (prefix: StorageKey) => told(files.removeRange(prefix)),
};
const store = new RecordStore(storage, "entity", { pack: true });
await store.readable();
await store.settled();
process.stdout.write("packed\n");
