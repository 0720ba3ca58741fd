// Records of one kind kept in pages: one stored value for up to PAGE_RECORDS records, so a device
// opening with 10,000 workouts waiting to sync opens some eighty sealed values instead of 20,000
// (in Chromium each WebCrypto call and IndexedDB value, not the bytes, was most of the open:
// bench/README.md, browser cold start). Records are still written one by one, each under its own
// key, as before (an edit seals one small value, not a page); a store that finds many of those
// loose records when it opens, or gathers a quarter as many as it has paged, moves them into
// pages (`planPack`). A loose record overrides the page's copy; a loose `null` says the paged
// record was removed.
//
// Keys: [prefix, "page", kind, name] holds the page, [prefix, "members", kind, name] the ids it
// holds, written before it: a page that does not open still names the records it held, so each
// can be recovered as a damaged loose record is (device.ts).
// Specification: docs/device-storage.md
export const PAGE = "page";
export const MEMBERS = "members";
/** Records per page: a page of workouts is about a quarter of a megabyte. */
export const PAGE_RECORDS = 256;
/** Loose records a store opens with (or gathers, at the least) before it moves them into pages. */
export const PACK_AFTER = 64;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Which page holds each record, and what each page holds (null: a page whose members are not known). */
export class PageLayout {
  readonly pageOf = new Map<string, string>();
  readonly members = new Map<string, Set<string> | null>();

  add(page: string, id: string): void {
    let members = this.members.get(page);
    if (!members) this.members.set(page, (members = new Set()));
    members.add(id);
    this.pageOf.set(id, page);
  }

  lastName(): string | undefined {
    let last: string | undefined;
    for (const name of this.members.keys()) if (last === undefined || Number(name) > Number(last)) last = name;
    return last;
  }

  /** A name after every page's, damaged ones included (their names are never reused). */
  nextName(): string {
    const last = this.lastName();
    return String(last === undefined ? 0 : Number(last) + 1).padStart(4, "0");
  }
}

export function encodePage(entries: Iterable<[id: string, json: string]>): Uint8Array {
  const parts: string[] = [];
  for (const [id, json] of entries) parts.push(`[${JSON.stringify(id)},${json}]`);
  return encoder.encode(`{"records":[${parts.join(",")}]}`);
}

/** The page's records; throws when the bytes are not a page. */
export function decodePage(bytes: Uint8Array): [string, unknown][] {
  const page = JSON.parse(decoder.decode(bytes)) as { records?: unknown };
  if (!Array.isArray(page.records)) throw new Error("not a page of records");
  for (const entry of page.records) if (!Array.isArray(entry) || typeof entry[0] !== "string") throw new Error("not a page of records");
  return page.records as [string, unknown][];
}

export function encodeMembers(ids: Iterable<string>): Uint8Array {
  return encoder.encode(JSON.stringify([...ids]));
}

export function decodeMembers(bytes: Uint8Array): string[] {
  const ids = JSON.parse(decoder.decode(bytes)) as unknown;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) throw new Error("not a list of record ids");
  return ids;
}

export interface PackPlan {
  /** Pages to write, each with its members' ids and records' JSON, in that order. */
  write: { page: string; entries: [string, string][] }[];
  /** Pages left with no record: their values are removed. */
  drop: string[];
}

/**
 * Moves every loose record into a page: one already paged stays in its page, a new one goes to
 * the last page while it has room, then to a new one; a loose removal takes the record out of
 * its page. Updates `layout` to what the pages will hold. `paged` gives the JSON of a record
 * as its page held it, for the untouched records of a page that is written again.
 */
export function planPack(layout: PageLayout, loose: Map<string, string | null>, paged: (id: string) => string, pageRecords = PAGE_RECORDS): PackPlan {
  const touched = new Set<string>();
  let last = layout.lastName();
  // A damaged page is never written to: what else it held is not known.
  if (last !== undefined && layout.members.get(last) === null) last = undefined;
  for (const [id, json] of loose) {
    const page = layout.pageOf.get(id);
    if (page !== undefined) {
      touched.add(page);
      if (json === null) {
        layout.members.get(page)?.delete(id);
        layout.pageOf.delete(id);
      }
      continue;
    }
    if (json === null) continue;
    if (last === undefined || (layout.members.get(last)?.size ?? pageRecords) >= pageRecords) last = layout.nextName();
    layout.add(last, id);
    touched.add(last);
  }
  const plan: PackPlan = { write: [], drop: [] };
  for (const page of [...touched].sort()) {
    const members = layout.members.get(page);
    if (!members || members.size === 0) {
      layout.members.delete(page);
      plan.drop.push(page);
      continue;
    }
    plan.write.push({ page, entries: [...members].map((id) => [id, loose.get(id) ?? paged(id)]) });
  }
  return plan;
}
