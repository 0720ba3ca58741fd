// The device's own records (sync queue, per-entity sync metadata, device state) kept in the SAME
// storage adapter as the Automerge documents, under a prefix no document id can take ("_" is
// not in base58), so one encryption wrapper covers everything the device keeps.
// Specification: docs/device-storage.md
import type { Chunk, StorageAdapterInterface, StorageKey } from "@automerge/automerge-repo/slim";
import { StorageUnreadable } from "./encrypted-storage.js";
import { MEMBERS, PACK_AFTER, PAGE, PageLayout, decodeMembers, decodePage, encodeMembers, encodePage, planPack, } from "./record-pages.js";

const PREFIX = "_ironflow";

/**
 * Every kind of record the device keeps. None is a string prefix of another: some storages match
 * key ranges by string prefix (device-storage.ts).
 */
export const RECORD_KINDS = ["device", "entity", "queue", "notice", "duplicate", "seen", "conflict-doc", "session", "peer", "known-peer"] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];
/** Every second segment the device's keys use: the record kinds and the pages' (record-pages.ts). */
export const KEY_KINDS = [...RECORD_KINDS, PAGE, MEMBERS] as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface RecordStoreOptions {
  /**
   * Move loose records into pages when the store opens with many (record-pages.ts). Only for a
   * kind one store instance owns on the device (entities, the queue): two stores packing one
   * kind at once would each remove what the other wrote.
   */
  pack?: boolean;
  /** Records per page (PAGE_RECORDS) and loose records before a pack (PACK_AFTER): tests make both small. */
  pageRecords?: number;
  packAfter?: number;
}

export class RecordStore<T> {
  /** Which page holds each record: read by `readable()`, or on the first call that needs it. */
  private layout: PageLayout | undefined;
  /** The loose records in storage, as written (null: a removal over a page's copy). */
  private loose = new Map<string, string | null>();
  /** Loose values that did not read when the store opened: a pack never removes them. */
  private damagedLoose = new Set<string>();
  /** Writes and removals on their way: a pack waits for them before it reads `loose`. */
  private readonly inFlight = new Set<Promise<void>>();
  /** New writes wait for a pack that is moving records, so none is removed as it is written. */
  private packing: Promise<void> | undefined;

  constructor(
    private readonly storage: StorageAdapterInterface,
    private readonly kind: RecordKind,
    private readonly options: RecordStoreOptions = {},
  ) {}

  private key(id: string): StorageKey {
    return [PREFIX, this.kind, id];
  }

  private pageKey(part: typeof PAGE | typeof MEMBERS, name: string): StorageKey {
    return [PREFIX, part, this.kind, name];
  }

  /** The record, or undefined; throws StorageUnreadable when it is stored and does not read. */
  async get(id: string): Promise<T | undefined> {
    const bytes = await this.storage.load(this.key(id));
    if (bytes) return (this.parse(id, bytes) as T | null) ?? undefined;
    const page = (await this.pages()).pageOf.get(id);
    if (page === undefined) return undefined;
    const stored = await this.storage.load(this.pageKey(PAGE, page));
    if (!stored) return undefined;
    try {
      return decodePage(stored).find(([member]) => member === id)?.[1] as T | undefined;
    } catch (err) {
      throw new StorageUnreadable(this.pageKey(PAGE, page), (err as Error).message);
    }
  }

  /** Resolves once the record is in storage. */
  async put(id: string, value: T): Promise<void> {
    // No await between the last look at `packing` and the write's start (it must be in flight
    // for a pack that starts after it).
    while (this.packing) await this.packing;
    const json = JSON.stringify(value);
    await this.track(id, json, this.storage.save(this.key(id), encoder.encode(json)));
  }

  async remove(id: string): Promise<void> {
    if (!this.layout) await this.read();
    while (this.packing) await this.packing;
    // A paged record is removed by a loose null over it, until the next pack takes it out. A
    // store whose layout a failed pack left unknown writes the null too: it reads as removed.
    if (this.layout?.pageOf.has(id) ?? true) await this.track(id, null, this.storage.save(this.key(id), encoder.encode("null")));
    else await this.track(id, undefined, this.storage.remove(this.key(id)));
  }

  /**
   * Notes what a write left loose once it is stored, and moves loose records into pages when
   * they have grown to a quarter of the paged ones (and PACK_AFTER at least): a device retrying
   * 10,000 waiting items while offline rewrites each of them.
   */
  private track(id: string, json: string | null | undefined, write: Promise<void>): Promise<void> {
    const done = write.then(() => {
      if (json === undefined) this.loose.delete(id);
      else this.loose.set(id, json);
      this.damagedLoose.delete(id);
      if (this.options.pack && this.layout && !this.packing && this.loose.size >= Math.max(this.packAfter, this.layout.pageOf.size / 4)) this.packing = this.runPack([]);
    });
    this.inFlight.add(done);
    const forget = () => void this.inFlight.delete(done);
    done.then(forget, forget);
    return done;
  }

  /** Every record of this kind; throws StorageUnreadable when one does not read. */
  async all(): Promise<T[]> {
    const { values, unreadable } = await this.readable();
    if (unreadable[0]) throw new StorageUnreadable(this.key(unreadable[0].id), unreadable[0].reason);
    return values;
  }

  /**
   * Every record of this kind that reads, and the ids of those that do not (a value that does not
   * open, or does not parse, or sits in a page that does not): left in storage as they are, for
   * the caller to recover what they held. A store made with `pack` moves its loose records into
   * pages from here (its writes wait for that).
   */
  async readable(): Promise<{ values: T[]; unreadable: UnreadableRecord[] }> {
    const { values, unreadable } = await this.read();
    return { values, unreadable };
  }

  private async read(): Promise<{ values: T[]; unreadable: UnreadableRecord[]; layout: PageLayout }> {
    while (this.packing) await this.packing;
    const [loose, paged] = await Promise.all([readRange(this.storage, [PREFIX, this.kind]), readRange(this.storage, [PREFIX, PAGE, this.kind])]);
    const layout = new PageLayout();
    const records = new Map<string, unknown>();
    const damagedPages: { name: string; reason: string }[] = paged.unreadable.map((err) => ({ name: err.id, reason: err.reason }));
    for (const chunk of paged.chunks) {
      const name = chunk.key.at(-1) ?? "";
      try {
        for (const [id, value] of decodePage(chunk.data)) {
          records.set(id, value);
          layout.add(name, id);
        }
        if (!layout.members.has(name)) layout.members.set(name, new Set());
      } catch (err) {
        damagedPages.push({ name, reason: `not a page: ${(err as Error).message}` });
      }
    }
    const looseJson = new Map<string, string | null>();
    const unreadable: UnreadableRecord[] = loose.unreadable.map((err) => ({ kind: this.kind, id: err.id, reason: err.reason }));
    for (const chunk of loose.chunks) {
      const id = chunk.key.at(-1) ?? "";
      const json = decoder.decode(chunk.data);
      try {
        const value = JSON.parse(json) as unknown;
        looseJson.set(id, value === null ? null : json);
        if (value === null) records.delete(id);
        else records.set(id, value);
      } catch (err) {
        unreadable.push({ kind: this.kind, id, reason: `not a record: ${(err as Error).message}` });
      }
    }
    // A damaged loose record hides the page's older copy: it is recovered as if there were none.
    for (const damaged of unreadable) records.delete(damaged.id);
    const unreadableIds = new Set(unreadable.map((u) => u.id));
    const found = (id: string) => records.has(id) || looseJson.has(id) || unreadableIds.has(id);
    // A damaged page that held nothing the store lacks now is removed by the next pack.
    const retired: string[] = [];
    for (const page of damagedPages) {
      const members = await this.readMembers(page.name);
      layout.members.set(page.name, null);
      if (!members) {
        unreadable.push({ kind: this.kind, id: "", page: page.name, reason: `page ${page.name} and its list of records do not open: ${page.reason}` });
        continue;
      }
      const lost = members.filter((id) => !found(id));
      for (const id of lost) unreadable.push({ kind: this.kind, id, page: page.name, reason: `its page ${page.name} does not open: ${page.reason}` });
      if (lost.length === 0) retired.push(page.name);
    }
    this.layout = layout;
    this.loose = looseJson;
    this.damagedLoose = new Set(unreadable.filter((u) => u.page === undefined).map((u) => u.id));
    // A write that landed while this read was on its way may have started a pack already.
    if (this.options.pack && !this.isPacking() && (looseJson.size >= this.packAfter || retired.length > 0)) this.packing = this.runPack(retired);
    return { values: [...records.values()] as T[], unreadable, layout };
  }

  /**
   * Moves every loose record into a page (`planPack`) and drops the `retired` damaged pages:
   * each page's list of records, then the page, then the loose records it now holds are
   * removed. A process killed on the way leaves a record loose and paged alike, which read the
   * same. A failure (a full disk) leaves the loose records where they are, for the next pack.
   */
  private async runPack(retired: string[]): Promise<void> {
    try {
      await Promise.allSettled([...this.inFlight]);
      const layout = this.layout;
      if (!layout) return;
      const loose = new Map(this.loose);
      const paged = await this.pagedJson(layout, loose);
      const plan = planPack(
        layout,
        loose,
        (id) => {
          const json = paged.get(id);
          if (json === undefined) throw new Error(`record ${id} is in no page read`);
          return json;
        },
        this.options.pageRecords,
      );
      for (const page of retired) {
        layout.members.delete(page);
        plan.drop.push(page);
      }
      await Promise.all(
        plan.write.map(async ({ page, entries }) => {
          await this.storage.save(this.pageKey(MEMBERS, page), encodeMembers(entries.map(([id]) => id)));
          await this.storage.save(this.pageKey(PAGE, page), encodePage(entries));
        }),
      );
      await Promise.all(plan.drop.map((page) => this.storage.remove(this.pageKey(PAGE, page)).then(() => this.storage.remove(this.pageKey(MEMBERS, page)))));
      // Every loose record read (a write waits for the pack), so one range removal when none is
      // damaged: in IndexedDB one transaction, not one per record (a page of the app navigated
      // away from stops a pack in the middle of 20,000 of those).
      if (this.damagedLoose.size === 0) await this.storage.removeRange([PREFIX, this.kind]);
      else await Promise.all([...loose.keys()].map((id) => this.storage.remove(this.key(id))));
      for (const [id, json] of loose) if (this.loose.get(id) === json) this.loose.delete(id);
    } catch {
      // Nothing is lost: every record is still loose or in a page whole. The layout in memory
      // may name a page that was not written: it is read again from storage when next needed.
      this.layout = undefined;
    } finally {
      this.packing = undefined;
    }
  }

  /** The JSON of each record in the pages a pack of `loose` writes again. */
  private async pagedJson(layout: PageLayout, loose: ReadonlyMap<string, string | null>): Promise<Map<string, string>> {
    const pages = new Set<string>();
    for (const id of loose.keys()) {
      const page = layout.pageOf.get(id);
      if (page !== undefined) pages.add(page);
    }
    const last = layout.lastName();
    if (last !== undefined && layout.members.get(last)) pages.add(last);
    const json = new Map<string, string>();
    for (const page of pages) {
      const bytes = await this.storage.load(this.pageKey(PAGE, page));
      if (!bytes) throw new Error(`page ${page} is gone`);
      for (const [id, value] of decodePage(bytes)) json.set(id, JSON.stringify(value));
    }
    return json;
  }

  private get packAfter(): number {
    return this.options.packAfter ?? PACK_AFTER;
  }

  private isPacking(): boolean {
    return this.packing !== undefined;
  }

  /** Resolves once a pack this store started is over (the device waits for it as it closes). */
  async settled(): Promise<void> {
    while (this.packing) await this.packing;
  }

  private async pages(): Promise<PageLayout> {
    return this.layout ?? (await this.read()).layout;
  }

  private async readMembers(page: string): Promise<string[] | undefined> {
    try {
      const bytes = await this.storage.load(this.pageKey(MEMBERS, page));
      return bytes ? decodeMembers(bytes) : undefined;
    } catch {
      return undefined;
    }
  }

  private parse(id: string, bytes: Uint8Array): unknown {
    try {
      return JSON.parse(decoder.decode(bytes));
    } catch (err) {
      throw new StorageUnreadable(this.key(id), `not a record: ${(err as Error).message}`);
    }
  }
}

interface StoredValue {
  key: StorageKey;
  data: Uint8Array;
}

/** A range read that sets apart the values that do not open (where the storage can). */
async function readRange(storage: StorageAdapterInterface, prefix: StorageKey): Promise<{ chunks: StoredValue[]; unreadable: { id: string; reason: string }[] }> {
  const stored = (chunks: Chunk[]) => chunks.filter((c): c is StoredValue => c.data !== undefined);
  if (!hasReadableRange(storage)) return { chunks: stored(await storage.loadRange(prefix)), unreadable: [] };
  const read = await storage.loadReadableRange(prefix);
  return { chunks: stored(read.chunks), unreadable: read.unreadable.map((err) => ({ id: err.key.at(-1) ?? "", reason: err.reason })) };
}

/** A stored record that does not read: which one, and why. */
export interface UnreadableRecord {
  kind: RecordKind;
  /** "" when not known: a page, and its list of records, that do not open. */
  id: string;
  /** The page it was in, when it was paged. */
  page?: string;
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
