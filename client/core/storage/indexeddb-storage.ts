// The browser's device storage: IndexedDB, in the same layout as Automerge Repo's IndexedDB
// adapter (one object store "documents", values { key, binary } under array keys), so a device
// keeps reading what that adapter wrote. Ours settles every write on its transaction's complete
// or abort: when the disk is full the browser aborts the transaction without an error event,
// and an adapter waiting for one never answers (the app's "Saving…" forever).
// Specification: docs/device-storage.md
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import { StorageWriteFailed } from "./device-storage.js";

const STORE = "documents";

interface Stored {
  key: StorageKey;
  binary: Uint8Array;
}

export class IndexedDbStorage implements StorageAdapterInterface {
  private readonly db: Promise<IDBDatabase>;

  constructor(readonly database: string) {
    this.db = new Promise((resolve, reject) => {
      const open = indexedDB.open(database, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error ?? new Error(`cannot open ${database}`));
    });
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const value = await this.read<Stored | undefined>((store) => store.get(key));
    return value?.binary;
  }

  save(key: StorageKey, data: Uint8Array): Promise<void> {
    return this.write((store) => store.put({ key, binary: data } satisfies Stored, key));
  }

  remove(key: StorageKey): Promise<void> {
    return this.write((store) => store.delete(key));
  }

  /**
   * One getAll over the range, not a cursor: a device opening with 10,000 workouts reads its
   * records in one request instead of one callback per record (with fake-indexeddb a cursor
   * over 10,000 records did not finish in 10 minutes). Each value holds its own key.
   */
  async loadRange(prefix: StorageKey): Promise<Chunk[]> {
    const values = await this.read<Stored[]>((store) => store.getAll(range(prefix)));
    return values.map((value) => ({ key: value.key, data: value.binary }));
  }

  removeRange(prefix: StorageKey): Promise<void> {
    return this.write((store) => store.delete(range(prefix)));
  }

  private async read<T>(op: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    const db = await this.db;
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE);
      const request = op(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result as T);
      tx.onabort = () => reject(tx.error ?? new Error("read aborted"));
    });
  }

  /** Resolves once the transaction committed; rejects with StorageWriteFailed when it aborted. */
  private async write(op: (store: IDBObjectStore) => void): Promise<void> {
    const db = await this.db;
    await new Promise<void>((resolve, reject) => {
      let tx: IDBTransaction;
      try {
        tx = db.transaction(STORE, "readwrite");
        op(tx.objectStore(STORE));
      } catch (err) {
        reject(new StorageWriteFailed(err));
        return;
      }
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(new StorageWriteFailed(tx.error));
    });
  }
}

/** Every key that starts with `prefix` (array keys compare element by element). */
function range(prefix: StorageKey): IDBKeyRange {
  return IDBKeyRange.bound(prefix, [...prefix, "\uffff"]);
}
