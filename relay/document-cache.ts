// A bounded cache of loaded Automerge documents: the relay's hot path is Automerge, not
// Postgres, so recently used documents stay loaded instead of being loaded per push.
// A document being worked on is taken OUT of the cache (take/put), so eviction never frees a
// document that a batch is still using.
// Bounded twice: by count (least recently used evicted) and by bytes (biggest evicted first).
// Every loaded document lives in the process's one WebAssembly instance (4 GiB at most, never
// shrinking): a count bound alone let a few hundred big documents exhaust it (issue 21).
// The bounds also count what batches hold (a CacheLease): documents taken out or loaded from the
// store for a batch. Counted apart, eight batches of 250 loaded documents came on top of a full
// cache, and the memory's high-water mark rose whenever more of them happened to overlap, so the
// relay's memory kept climbing long after its cache was full (bench/relay-memory.ts).
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
  /** Documents leases hold, and their weight in bytes (not in `entries`). */
  private heldCount = 0;
  private heldBytes = 0;

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

  /** Documents held by leases (a batch at work), counted against both bounds. */
  get held(): { count: number; bytes: number } {
    return { count: this.heldCount, bytes: this.heldBytes };
  }

  /**
   * One batch's hold on the documents it works on, for `userId`; end it when the batch ends.
   * `keepLoaded` false: only what the batch took out of the cache goes back into it (see CacheLease).
   */
  lease(userId: string, keepLoaded = true): CacheLease {
    return new CacheLease(this, userId, keepLoaded, (count, bytes) => {
      this.heldCount += count;
      this.heldBytes += bytes;
      if (count > 0 || bytes > 0) this.fit();
    });
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
    this.fit();
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

  /** Evicts cached documents until they and the held ones fit both bounds (held ones cannot be evicted). */
  private fit(): void {
    while (this.entries.size > 0 && this.entries.size + this.heldCount > this.capacity) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, CachedDocument];
      this.evict(oldestKey, oldest);
    }
    // Biggest first: one big document weighs as much as thousands of small ones.
    while (this.entries.size > 0 && this.totalBytes + this.heldBytes > this.byteBudget) {
      let biggest: [string, CachedDocument] | undefined;
      for (const pair of this.entries) if (!biggest || pair[1].savedBytes > biggest[1].savedBytes) biggest = pair;
      if (!biggest) break;
      this.evict(biggest[0], biggest[1]);
    }
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

/**
 * The documents one batch works on, counted against the cache's bounds from the moment they are
 * taken out or about to be loaded until the batch ends. Documents put back go into the cache
 * when it ends, all together: put back one by one, each would be weighed against the batch's
 * documents still held (which cannot be evicted) and evict the batch's own earlier ones first.
 *
 * A lease that does not keep what it loads (a device catching up: one batch of many documents,
 * each touched once) puts back only the documents it took out of the cache, and frees the ones
 * it created or loaded from the store. Cached, they were a live heap every garbage collection
 * walks, for edits that a catch-up's documents mostly never get (bench/README.md, catch-up).
 */
export class CacheLease {
  /** Weight in bytes of each held entity's document. */
  private readonly weights = new Map<string, number>();
  private readonly returned: [string, CachedDocument][] = [];
  /** Entities whose document this lease took out of the cache (kept track of when it matters: not keepLoaded). */
  private readonly taken = new Set<string>();

  constructor(
    private readonly cache: DocumentCache,
    private readonly userId: string,
    private readonly keepLoaded: boolean,
    private readonly count: (documents: number, bytes: number) => void,
  ) {}

  /** Takes the entity's document out of the cache (DocumentCache.take), held by this lease. */
  take(entityId: string): CachedDocument | undefined {
    const entry = this.cache.take(this.userId, entityId);
    if (entry) {
      this.hold(entityId, entry.savedBytes);
      if (!this.keepLoaded) this.taken.add(entityId);
    }
    return entry;
  }

  /**
   * Counts a document about to be loaded (its saved bytes); before the load, so what it evicts
   * is freed first. Holding an entity again replaces its weight.
   */
  hold(entityId: string, bytes: number): void {
    const previous = this.weights.get(entityId);
    this.weights.set(entityId, bytes);
    this.count(previous === undefined ? 1 : 0, bytes - (previous ?? 0));
  }

  /** The document goes back into the cache when the lease ends. */
  put(entityId: string, entry: CachedDocument): void {
    this.returned.push([entityId, entry]);
  }

  /** Releases what is held (the batch's other documents were freed) and puts back what was returned. */
  end(): void {
    let documents = 0;
    let bytes = 0;
    for (const weight of this.weights.values()) {
      documents++;
      bytes += weight;
    }
    this.weights.clear();
    this.count(-documents, -bytes);
    for (const [entityId, entry] of this.returned.splice(0)) {
      if (this.keepLoaded || this.taken.has(entityId)) this.cache.put(this.userId, entityId, entry);
      else A.free(entry.doc);
    }
  }
}

function cacheKey(userId: string, entityId: string): string {
  return `${userId}\u0000${entityId}`;
}
