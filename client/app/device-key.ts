// The browser device's storage key: a non-extractable AES-GCM key kept in its own IndexedDB
// database. A CryptoKey survives structured cloning into IndexedDB while its bytes never reach
// JavaScript, so a script that reads the device's databases gets ciphertext and a key it cannot
// export. WebCrypto exists only in secure contexts: on a plain-http LAN address there is none,
// and the device keeps its data unencrypted (the relay's TLS option fixes that).
import { newStorageKey } from "../core/index.js";

const DATABASE = "ironflow-keys";
const STORE = "keys";

export function canEncrypt(): boolean {
  // Typed as always there; a page that is not a secure context has none.
  return typeof crypto !== "undefined" && (crypto as { subtle?: SubtleCrypto }).subtle !== undefined;
}

/** The key named `name`, made on first use. */
export async function browserStorageKey(name: string): Promise<CryptoKey> {
  const db = await openKeys();
  try {
    const existing = await readKey(db, name);
    if (existing) return existing;
    const key = await newStorageKey();
    const tx = db.transaction(STORE, "readwrite");
    // add, not put: a second tab making its own key at the same moment loses, and reads the first.
    tx.objectStore(STORE).add(key, name);
    const stored = await new Promise<boolean>((resolve) => {
      tx.oncomplete = () => resolve(true);
      tx.onabort = () => resolve(false);
    });
    if (stored) return key;
    const theirs = await readKey(db, name);
    if (!theirs) throw new Error("the device key could not be stored");
    return theirs;
  } finally {
    db.close();
  }
}

async function readKey(db: IDBDatabase, name: string): Promise<CryptoKey | undefined> {
  const value: unknown = await request(db.transaction(STORE).objectStore(STORE).get(name));
  return value instanceof CryptoKey ? value : undefined;
}

function openKeys(): Promise<IDBDatabase> {
  const open = indexedDB.open(DATABASE, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE);
  return request(open);
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error("IndexedDB request failed"));
  });
}
