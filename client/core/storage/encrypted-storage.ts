// Everything the device keeps, encrypted at rest: a device storage (device-storage.ts) that
// wraps another and seals every value with AES-GCM (WebCrypto), a fresh random 96-bit IV per
// write. The key path is the additional authenticated data, so a value copied under another key
// (another document, another person's record) fails to open instead of being read as that one.
// Keys themselves (document ids, record kinds) are not secret and stay readable.
//
// Stored form: [format 1][12-byte IV][ciphertext + 16-byte tag].
// A value that does not open (tampered, truncated, or sealed with another key) rejects with
// StorageUnreadable: the caller never gets garbage, and nothing is overwritten to hide it.
// Specification: docs/device-storage.md
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";

const FORMAT = 1;
const IV_BYTES = 12;
const encoder = new TextEncoder();

export class StorageUnreadable extends Error {
  override readonly name = "StorageUnreadable";
  constructor(
    readonly key: StorageKey,
    readonly reason: string,
  ) {
    super(`stored value ${key.join("/")} cannot be opened: ${reason}`);
  }
}

/**
 * AES-256-GCM on one key, as the stored form needs it: `seal` returns the ciphertext with its
 * 16-byte tag appended, `open` takes the same and throws when it does not authenticate.
 * WebCrypto's (the default) answers each call on another thread, which costs more than the
 * cipher itself on the small values a device writes; Node devices use a synchronous one on the
 * same key (client/node/node-cipher.ts). Both read what the other wrote.
 */
export interface StorageCipher {
  seal(iv: Uint8Array<ArrayBuffer>, additionalData: Uint8Array<ArrayBuffer>, plain: Uint8Array): Uint8Array | Promise<Uint8Array>;
  open(iv: Uint8Array<ArrayBuffer>, additionalData: Uint8Array<ArrayBuffer>, sealed: Uint8Array<ArrayBuffer>): Uint8Array | Promise<Uint8Array>;
}

export function webCryptoCipher(key: CryptoKey): StorageCipher {
  return {
    async seal(iv, additionalData, plain) {
      return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, new Uint8Array(plain)));
    },
    open(iv, additionalData, sealed) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, sealed).then((plain) => new Uint8Array(plain));
    },
  };
}

export class EncryptedStorage implements StorageAdapterInterface {
  private readonly cipher: StorageCipher;

  constructor(
    private readonly inner: StorageAdapterInterface,
    key: CryptoKey | StorageCipher,
  ) {
    this.cipher = "seal" in key ? key : webCryptoCipher(key);
  }

  async load(key: StorageKey): Promise<Uint8Array | undefined> {
    const sealed = await this.inner.load(key);
    return sealed === undefined ? undefined : this.open(key, sealed);
  }

  async save(key: StorageKey, data: Uint8Array): Promise<void> {
    await this.inner.save(key, await this.seal(key, data));
  }

  remove(key: StorageKey): Promise<void> {
    return this.inner.remove(key);
  }

  /**
   * Every value opened at once (the cipher's calls overlap), each with as little of our own work
   * around its call as can be: a device opening 10,000 workouts waiting to sync opens 20,000
   * values here, and in Chromium the work around each WebCrypto call was most of the open's time
   * on the page's thread (bench/README.md, browser cold start).
   */
  async loadRange(prefix: StorageKey): Promise<Chunk[]> {
    const { chunks, unreadable } = await this.loadReadableRange(prefix);
    if (unreadable[0]) throw unreadable[0];
    return chunks;
  }

  /**
   * loadRange with the values that do not open set apart, not failing the whole range: one
   * damaged record must not keep a device from opening (record-store.ts). Documents are read with
   * loadRange: a document missing one of its chunks is not the document.
   */
  async loadReadableRange(prefix: StorageKey): Promise<{ chunks: Chunk[]; unreadable: StorageUnreadable[] }> {
    const chunks = await this.inner.loadRange(prefix);
    const unreadable: StorageUnreadable[] = [];
    const setApart = (err: unknown) => {
      if (!(err instanceof StorageUnreadable)) throw err;
      unreadable.push(err);
      return undefined;
    };
    const opened = await Promise.all(chunks.map((chunk) => (chunk.data ? this.open(chunk.key, chunk.data).then((data) => ({ key: chunk.key, data }), setApart) : Promise.resolve(chunk))));
    return { chunks: opened.filter((chunk) => chunk !== undefined), unreadable };
  }

  removeRange(prefix: StorageKey): Promise<void> {
    return this.inner.removeRange(prefix);
  }

  private async seal(key: StorageKey, data: Uint8Array): Promise<Uint8Array> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ciphertext = await this.cipher.seal(iv, aad(key), data);
    const out = new Uint8Array(1 + IV_BYTES + ciphertext.length);
    out[0] = FORMAT;
    out.set(iv, 1);
    out.set(ciphertext, 1 + IV_BYTES);
    return out;
  }

  private async open(key: StorageKey, sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length < 1 + IV_BYTES + 16 || sealed[0] !== FORMAT) throw new StorageUnreadable(key, "not a sealed value");
    try {
      // Views, not copies: the cipher only reads them (WebCrypto copies what it is given).
      const bytes = sealed as Uint8Array<ArrayBuffer>;
      return await this.cipher.open(bytes.subarray(1, 1 + IV_BYTES), aad(key), bytes.subarray(1 + IV_BYTES));
    } catch {
      throw new StorageUnreadable(key, "it does not authenticate (changed, moved, or sealed with another key)");
    }
  }
}

/** Keys are short ASCII: encoded into one buffer and copied out at their length, not allocated by encode(). */
const aadScratch = new Uint8Array(512);

function aad(key: StorageKey): Uint8Array<ArrayBuffer> {
  const joined = key.join("\u0000");
  const { read, written } = encoder.encodeInto(joined, aadScratch);
  return read === joined.length ? aadScratch.slice(0, written) : encoder.encode(joined);
}

/** A new AES-256-GCM key that cannot be read out of the runtime (only used). */
export function newStorageKey(): Promise<CryptoKey> {
  return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
}

/** The key from its raw 32 bytes (Node keeps them in a file only its user can read). */
export function importStorageKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== 32) throw new Error(`a storage key is 32 bytes, got ${raw.length}`);
  return crypto.subtle.importKey("raw", new Uint8Array(raw), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}
