// A bounded cache of loaded Automerge documents: the relay's hot path is Automerge, not
// Postgres, so recently used documents stay loaded instead of being loaded per push.
// A document being worked on is taken OUT of the cache (take/put), so eviction never frees a
// document that a batch is still using.
// Specification: docs/relay.md
import * as A from "@automerge/automerge";
import type { EntityType } from "../schema/entities.js";

/** An entity's Automerge document as the relay holds it: its root is always a map. */
export type RelayDoc = A.Doc<Record<string, unknown>>;

export interface CachedDocument {
  entityType: EntityType;
  doc: RelayDoc;
  version: number;
  cursor: bigint;
  /** Relay time the version was stored, ms since epoch. */
  updatedAt: number;
}

export class DocumentCache {
  private readonly entries = new Map<string, CachedDocument>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** Removes and returns the entry; the caller owns the document until it calls put. */
  take(userId: string, entityId: string): CachedDocument | undefined {
    const key = cacheKey(userId, entityId);
    const entry = this.entries.get(key);
    if (entry) this.entries.delete(key);
    return entry;
  }

  put(userId: string, entityId: string, entry: CachedDocument): void {
    const key = cacheKey(userId, entityId);
    const previous = this.entries.get(key);
    if (previous && previous.doc !== entry.doc) A.free(previous.doc);
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, CachedDocument];
      this.entries.delete(oldestKey);
      A.free(oldest.doc);
    }
  }

  clear(): void {
    for (const entry of this.entries.values()) A.free(entry.doc);
    this.entries.clear();
  }
}

function cacheKey(userId: string, entityId: string): string {
  return `${userId}\u0000${entityId}`;
}
