// The device's own records (sync queue, per-entity sync metadata, device state) kept in the SAME
// storage adapter as the Automerge documents, under a prefix no document id can take ("_" is
// not in base58), so one encryption wrapper covers everything the device keeps.
// Specification: docs/device-storage.md
import type { StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";

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

  async get(id: string): Promise<T | undefined> {
    const bytes = await this.storage.load(this.key(id));
    return bytes ? (JSON.parse(decoder.decode(bytes)) as T) : undefined;
  }

  /** Resolves once the record is in storage. */
  async put(id: string, value: T): Promise<void> {
    await this.storage.save(this.key(id), encoder.encode(JSON.stringify(value)));
  }

  async remove(id: string): Promise<void> {
    await this.storage.remove(this.key(id));
  }

  async all(): Promise<T[]> {
    const chunks = await this.storage.loadRange([PREFIX, this.kind]);
    return chunks.flatMap((chunk) => (chunk.data ? [JSON.parse(decoder.decode(chunk.data)) as T] : []));
  }
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
