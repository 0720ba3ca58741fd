// Automerge documents in the device's storage, without Automerge Repo's handles. Chunks keep the
// Repo's layout ([id, "snapshot", hash] and [id, "incremental", hash]), so a device reads what it
// stored before. Why not the Repo: its handles save on a debounce (a change is not in storage when
// the call returns), and letting go of a handle (removeFromCache, unload) writes an empty document
// over the stored one (automerge-repo issue 435, which emptied workouts after long catch-ups).
//
// Contract:
// - `update` and `create` resolve once the new changes are in storage; a failed write rejects
//   and the document in memory stays the stored one.
// - Letting go of a document (`release`, or the cache evicting it) never writes to storage.
// - Memory holds at most `capacity` documents that nobody is using; a document is pinned while
//   an `update` works on it, so eviction never frees one in use.
// Specification: docs/device-storage.md
import * as A from "@automerge/automerge";
import type { StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import { sha256 } from "@noble/hashes/sha2";

/** A document whose shape the store does not look at. */
export type AnyDoc = A.Doc<Record<string, unknown>>;

interface Chunk {
  key: StorageKey;
  kind: "snapshot" | "incremental";
  size: number;
}

interface Entry {
  /** The latest document. Automerge's older versions of it share its memory: only this one is ever freed. */
  doc: AnyDoc;
  /** Heads of what storage holds. */
  savedHeads: A.Heads;
  chunks: Chunk[];
  pins: number;
}

export class DocumentStore {
  private readonly entries = new Map<string, Entry>(); // least recently used first
  private readonly loading = new Map<string, Promise<Entry | undefined>>();
  private readonly writing = new Map<string, Promise<unknown>>();

  constructor(
    private readonly storage: StorageAdapterInterface,
    /** Documents kept in memory when idle. */
    private readonly capacity = 64,
  ) {}

  /** Runs `fn` on the document synchronously, or resolves undefined when storage has none. */
  async read<T>(id: string, fn: (doc: AnyDoc) => T): Promise<T | undefined> {
    const entry = await this.entry(id);
    if (!entry) return undefined;
    const result = fn(entry.doc);
    this.trim();
    return result;
  }

  /**
   * Replaces the document with what `fn` makes of it and stores the difference. `fn` may return
   * `value` beside the new document. Runs after any earlier update of the same document.
   */
  async update<T>(id: string, fn: (doc: AnyDoc) => { doc: AnyDoc; value: T } | Promise<{ doc: AnyDoc; value: T }>): Promise<T> {
    return this.serial(id, async () => {
      const entry = await this.entry(id);
      if (!entry) throw new DocumentMissing(id);
      entry.pins += 1;
      try {
        const { doc, value } = await fn(entry.doc);
        await this.persist(id, entry, doc);
        return value;
      } catch (err) {
        // `fn` may have consumed entry.doc (Automerge outdates a document it changed): forget it
        // and load again from storage next time. Not freed: the new document shares its memory.
        if (this.entries.get(id) === entry) this.entries.delete(id);
        throw err;
      } finally {
        entry.pins -= 1;
        this.trim();
      }
    });
  }

  /**
   * Stores a document this device did not have (a create, or one adopted from the relay).
   * `saved`: A.save(doc), when the caller has it already.
   */
  async create(id: string, doc: AnyDoc, saved?: Uint8Array): Promise<void> {
    await this.serial(id, async () => {
      const existing = await this.entry(id);
      if (existing) throw new Error(`document ${id} already exists`);
      const entry: Entry = { doc, savedHeads: [], chunks: [], pins: 1 };
      this.entries.set(id, entry);
      try {
        await this.persist(id, entry, doc, saved);
      } catch (err) {
        this.entries.delete(id);
        throw err;
      } finally {
        entry.pins -= 1;
        this.trim();
      }
    });
  }

  /** Deletes the document from storage and memory (an entity that never left this device). */
  async remove(id: string): Promise<void> {
    await this.serial(id, async () => {
      const entry = this.entries.get(id);
      this.entries.delete(id);
      await this.storage.removeRange([id]);
      if (entry && entry.pins === 0) A.free(entry.doc);
    });
  }

  /** Lets go of the document in memory; storage is not touched. */
  release(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.pins > 0) return;
    this.entries.delete(id);
    A.free(entry.doc);
  }

  /** Heads of what storage holds, when the document is in memory (undefined otherwise: not loaded for this). */
  storedHeads(id: string): A.Heads | undefined {
    return this.entries.get(id)?.savedHeads;
  }

  get cachedCount(): number {
    return this.entries.size;
  }

  private async persist(id: string, entry: Entry, doc: AnyDoc, saved?: Uint8Array): Promise<void> {
    const heads = A.getHeads(doc);
    if (!sameHeads(heads, entry.savedHeads)) {
      const incrementalBytes = entry.chunks.reduce((n, c) => n + (c.kind === "incremental" ? c.size : 0), 0);
      const snapshotBytes = entry.chunks.reduce((n, c) => n + (c.kind === "snapshot" ? c.size : 0), 0);
      if (entry.savedHeads.length === 0 || incrementalBytes >= snapshotBytes) {
        // Compact: the whole document as one snapshot, then the chunks it replaces. A crash between
        // the two leaves both, which load to the same document.
        const bytes = saved ?? A.save(doc);
        const key: StorageKey = [id, "snapshot", hex(sha256(new TextEncoder().encode(heads.join(""))))];
        await this.storage.save(key, bytes);
        const old = entry.chunks.filter((c) => c.key.join("/") !== key.join("/"));
        for (const chunk of old) await this.storage.remove(chunk.key);
        entry.chunks = [{ key, kind: "snapshot", size: bytes.length }];
      } else {
        const bytes = A.saveSince(doc, entry.savedHeads);
        const key: StorageKey = [id, "incremental", hex(sha256(bytes))];
        await this.storage.save(key, bytes);
        entry.chunks.push({ key, kind: "incremental", size: bytes.length });
      }
      entry.savedHeads = heads;
    }
    entry.doc = doc;
    // Most recently used last.
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  private entry(id: string): Promise<Entry | undefined> {
    const cached = this.entries.get(id);
    if (cached) {
      this.entries.delete(id);
      this.entries.set(id, cached);
      return Promise.resolve(cached);
    }
    let pending = this.loading.get(id);
    if (!pending) {
      pending = this.load(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(id: string): Promise<Entry | undefined> {
    const snapshots = await this.storage.loadRange([id, "snapshot"]);
    const incrementals = await this.storage.loadRange([id, "incremental"]);
    const chunks: Chunk[] = [];
    const parts: Uint8Array[] = [];
    for (const [kind, list] of [["snapshot", snapshots], ["incremental", incrementals]] as const) {
      for (const chunk of list) {
        if (!chunk.data) continue;
        chunks.push({ key: chunk.key, kind, size: chunk.data.length });
        parts.push(chunk.data);
      }
    }
    if (parts.length === 0) return undefined;
    // A.load takes concatenated chunks (duplicated changes included) and is several times cheaper
    // than replaying them onto an empty document.
    const doc = A.load<Record<string, unknown>>(concat(parts));
    const entry: Entry = { doc, savedHeads: A.getHeads(doc), chunks, pins: 0 };
    this.entries.set(id, entry);
    return entry;
  }

  private trim(): void {
    if (this.entries.size <= this.capacity) return;
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      if (entry.pins > 0 || this.writing.has(id)) continue;
      this.entries.delete(id);
      A.free(entry.doc);
    }
  }

  private serial<T>(id: string, work: () => Promise<T>): Promise<T> {
    const previous = this.writing.get(id) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.writing.set(id, tail);
    void tail.then(() => {
      if (this.writing.get(id) === tail) this.writing.delete(id);
    });
    return next;
  }
}

/** An update of a document that is not in storage: a bug in the caller, or storage wiped underneath. */
export class DocumentMissing extends Error {
  override readonly name = "DocumentMissing";
  constructor(readonly id: string) {
    super(`no document ${id} in this device's storage`);
  }
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const [only] = parts;
  if (parts.length === 1 && only) return only;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
