// The device's own records (sync queue, per-entity sync metadata, device state) kept in the SAME
// storage adapter as the Automerge documents, under a prefix no document id can take ("_" is
// not in base58), so one encryption wrapper covers everything the device keeps.
// Specification: docs/device-storage.md
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import { StorageUnreadable } from "./encrypted-storage.js";

const PREFIX = "_ironflow";

/**
 * Every kind of record the device keeps. None is a string prefix of another: some storages match
 * key ranges by string prefix (device-storage.ts).
 */
export const RECORD_KINDS = ["device", "entity", "queue", "notice", "duplicate", "seen", "conflict-doc", "session", "peer", "known-peer"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class RecordStore<T> {
  constructor(
    private readonly storage: StorageAdapterInterface,
    private readonly kind: RecordKind,
  ) {}

  private key(id: string): StorageKey {
    return [PREFIX, this.kind, id];
  }

  /** The record, or undefined; throws StorageUnreadable when it is stored and does not read. */
  async get(id: string): Promise<T | undefined> {
    const bytes = await this.storage.load(this.key(id));
    if (!bytes) return undefined;
    try {
      return JSON.parse(decoder.decode(bytes)) as T;
    } catch (err) {
      throw new StorageUnreadable(this.key(id), `not a record: ${(err as Error).message}`);
    }
  }

  /** Resolves once the record is in storage. */
  async put(id: string, value: T): Promise<void> {
    await this.storage.save(this.key(id), encoder.encode(JSON.stringify(value)));
  }

  async remove(id: string): Promise<void> {
    await this.storage.remove(this.key(id));
  }

  /** Every record of this kind; throws StorageUnreadable when one does not read. */
  async all(): Promise<T[]> {
    const { values, unreadable } = await this.readable();
    if (unreadable[0]) throw new StorageUnreadable(this.key(unreadable[0].id), unreadable[0].reason);
    return values;
  }

  /**
   * Every record of this kind that reads, and the ids of those that do not (a value that does not
   * open, or does not parse): left in storage as they are, for the caller to recover what they held.
   */
  async readable(): Promise<{ values: T[]; unreadable: UnreadableRecord[] }> {
    const range: StorageKey = [PREFIX, this.kind];
    const unreadable: UnreadableRecord[] = [];
    let chunks: Chunk[];
    if (hasReadableRange(this.storage)) {
      const read = await this.storage.loadReadableRange(range);
      chunks = read.chunks;
      for (const err of read.unreadable) unreadable.push({ kind: this.kind, id: err.key.at(-1) ?? "", reason: err.reason });
    } else {
      chunks = await this.storage.loadRange(range);
    }
    const values: T[] = [];
    for (const chunk of chunks) {
      if (!chunk.data) continue;
      try {
        values.push(JSON.parse(decoder.decode(chunk.data)) as T);
      } catch (err) {
        unreadable.push({ kind: this.kind, id: chunk.key.at(-1) ?? "", reason: `not a record: ${(err as Error).message}` });
      }
    }
    return { values, unreadable };
  }
}

/** A stored record that does not read: which one, and why. */
export interface UnreadableRecord {
  kind: RecordKind;
  id: string;
  reason: string;
}

/** Storages that can set an unreadable value apart from a range (EncryptedStorage). */
interface ReadableRange {
  loadReadableRange(prefix: StorageKey): Promise<{ chunks: Chunk[]; unreadable: StorageUnreadable[] }>;
}

function hasReadableRange(storage: StorageAdapterInterface): storage is StorageAdapterInterface & ReadableRange {
  return typeof (storage as Partial<ReadableRange>).loadReadableRange === "function";
}

/** Raw bytes beside the records (a conflict's server document). */
export class BlobStore {
  constructor(
    private readonly storage: StorageAdapterInterface,
    private readonly kind: RecordKind,
  ) {}

  load(id: string): Promise<Uint8Array | undefined> {
    return this.storage.load([PREFIX, this.kind, id]);
  }

  save(id: string, bytes: Uint8Array): Promise<void> {
    return this.storage.save([PREFIX, this.kind, id], bytes);
  }

  remove(id: string): Promise<void> {
    return this.storage.remove([PREFIX, this.kind, id]);
  }
}
