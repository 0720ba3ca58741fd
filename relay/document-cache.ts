// A bounded cache of loaded Automerge documents: the relay's hot path is Automerge, not
// Postgres, so recently used documents stay loaded instead of being loaded per push.
// A document being worked on is taken OUT of the cache (take/put), so eviction never frees a
// document that a batch is still using.
// Bounded twice: by count (least recently used evicted) and by bytes (biggest evicted first).
// Every loaded document lives in the process's one WebAssembly instance (4 GiB at most, never
// shrinking): a count bound alone let a few hundred big documents exhaust it (issue 21).
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
  /**
   * Length of the bytes the store holds for this version (an A.save, or the bytes a device pushed,
   * possibly followed by appended changes): its weight in the cache's byte budget.
   */
  savedBytes: number;
  /** Automerge chunks in those stored bytes: 1 after an A.save, more as pushes are appended. */
  storedChunks: number;
}

export class DocumentCache {
  private readonly entries = new Map<string, CachedDocument>();
  private totalBytes = 0;

  constructor(
    private readonly capacity: number,
    private readonly byteBudget: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Saved bytes of the cached documents together. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Removes and returns the entry; the caller owns the document until it calls put. */
  take(userId: string, entityId: string): CachedDocument | undefined {
    const key = cacheKey(userId, entityId);
    const entry = this.entries.get(key);
    if (entry) this.remove(key, entry);
    return entry;
  }

  /** Whether the entry is cached at `version`; changes nothing (no use is recorded). */
  holds(userId: string, entityId: string, version: number): boolean {
    return this.entries.get(cacheKey(userId, entityId))?.version === version;
  }

  put(userId: string, entityId: string, entry: CachedDocument): void {
    const key = cacheKey(userId, entityId);
    const previous = this.entries.get(key);
    if (previous) {
      this.remove(key, previous);
      if (previous.doc !== entry.doc) A.free(previous.doc);
    }
    this.entries.set(key, entry);
    this.totalBytes += entry.savedBytes;
    while (this.entries.size > this.capacity) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, CachedDocument];
      this.evict(oldestKey, oldest);
    }
    // Biggest first: one big document weighs as much as thousands of small ones.
    while (this.totalBytes > this.byteBudget) {
      let biggest: [string, CachedDocument] | undefined;
      for (const pair of this.entries) if (!biggest || pair[1].savedBytes > biggest[1].savedBytes) biggest = pair;
      if (!biggest) break;
      this.evict(biggest[0], biggest[1]);
    }
  }

  clear(): void {
    for (const entry of this.entries.values()) {
      try {
        A.free(entry.doc);
      } catch {
        // A trapped WebAssembly module cannot free; the process is going away anyway, and
        // shutdown must still close the store.
      }
    }
    this.entries.clear();
    this.totalBytes = 0;
  }

  private remove(key: string, entry: CachedDocument): void {
    this.entries.delete(key);
    this.totalBytes -= entry.savedBytes;
  }

  private evict(key: string, entry: CachedDocument): void {
    this.remove(key, entry);
    A.free(entry.doc);
  }
}

function cacheKey(userId: string, entityId: string): string {
  return `${userId}\u0000${entityId}`;
}
