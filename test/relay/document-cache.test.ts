// The document cache's policy, on real Automerge documents: bounded by count (least recently used
// out) and by saved bytes (biggest out first), every evicted document freed; what batches hold
// (leases) counts against both bounds; a catch-up's lease keeps only what it took out.
import * as A from "@automerge/automerge";
import { describe, expect, it } from "vitest";
import { DocumentCache, type CachedDocument, type RelayDoc } from "../../relay/document-cache.js";

function entry(savedBytes: number): CachedDocument {
  const doc: RelayDoc = A.from<Record<string, unknown>>({ size: savedBytes });
  return { entityType: "workout", doc, version: 1, cursor: 1n, updatedAt: 0, savedBytes, storedChunks: 1 };
}

/** A freed document can no longer be read. */
function isFreed(e: CachedDocument): boolean {
  try {
    A.getHeads(e.doc);
    return false;
  } catch {
    return true;
  }
}

describe("DocumentCache", () => {
  it("over its byte budget, evicts the biggest documents first and frees them", () => {
    const cache = new DocumentCache(100, 1_000);
    const small1 = entry(100);
    const big = entry(600);
    const small2 = entry(100);
    cache.put("u", "small1", small1);
    cache.put("u", "big", big);
    cache.put("u", "small2", small2);
    expect(cache.bytes).toBe(800);
    const bigger = entry(300);
    cache.put("v", "bigger", bigger);
    // 1,100 > 1,000: the 600-byte one goes, not the least recently used.
    expect(cache.bytes).toBe(500);
    expect(isFreed(big)).toBe(true);
    expect(cache.take("u", "big")).toBeUndefined();
    for (const kept of [small1, small2, bigger]) expect(isFreed(kept)).toBe(false);
    expect(cache.take("u", "small1")).toBe(small1);
    expect(cache.bytes).toBe(400);
    cache.clear();
    expect(cache.bytes).toBe(0);
    expect(isFreed(small2)).toBe(true);
    A.free(small1.doc);
  });

  it("a document bigger than the whole budget is not kept", () => {
    const cache = new DocumentCache(100, 1_000);
    const small = entry(10);
    const huge = entry(5_000);
    cache.put("u", "small", small);
    cache.put("u", "huge", huge);
    expect(isFreed(huge)).toBe(true);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(10);
    cache.clear();
  });

  it("over its count, evicts the least recently used; a replaced document is freed and its bytes recounted", () => {
    const cache = new DocumentCache(2, 1_000_000);
    const a = entry(10);
    const b = entry(20);
    cache.put("u", "a", a);
    cache.put("u", "b", b);
    cache.put("u", "a", cache.take("u", "a")!);
    const c = entry(30);
    cache.put("u", "c", c);
    expect(isFreed(b)).toBe(true);
    const a2 = entry(40);
    cache.put("u", "a", a2);
    expect(isFreed(a)).toBe(true);
    expect(cache.bytes).toBe(70);
    cache.clear();
  });

  it("documents a batch holds count against the count bound: loading one evicts the least recently used, and ending the lease gives the room back", () => {
    const cache = new DocumentCache(3, 1_000_000);
    const [a, b, c] = [entry(10), entry(10), entry(10)];
    cache.put("u", "a", a);
    cache.put("u", "b", b);
    cache.put("u", "c", c);
    const lease = cache.lease("v");
    lease.hold("x", 10);
    // Three cached plus one about to be loaded is over three: the oldest goes before the load.
    expect(isFreed(a)).toBe(true);
    expect(cache.size).toBe(2);
    lease.hold("y", 10);
    expect(isFreed(b)).toBe(true);
    expect(cache.held).toEqual({ count: 2, bytes: 20 });
    const x = entry(10);
    lease.put("x", x);
    // Put back when the lease ends, not before: still held.
    expect(cache.held).toEqual({ count: 2, bytes: 20 });
    expect(cache.size).toBe(1);
    lease.end();
    expect(cache.held).toEqual({ count: 0, bytes: 0 });
    expect(cache.size).toBe(2);
    expect(cache.take("u", "x")).toBeUndefined();
    expect(cache.take("v", "x")).toBe(x);
    expect(isFreed(c)).toBe(false);
    A.free(x.doc);
    cache.clear();
  });

  it("documents a batch holds count against the byte budget (biggest cached out first); taking one out and putting it back evicts nothing", () => {
    const cache = new DocumentCache(100, 1_000);
    const small = entry(100);
    const big = entry(500);
    cache.put("u", "small", small);
    cache.put("u", "big", big);
    const lease = cache.lease("u");
    const taken = lease.take("small");
    expect(taken).toBe(small);
    expect(cache.held).toEqual({ count: 1, bytes: 100 });
    lease.put("small", taken!);
    expect(isFreed(big)).toBe(false);
    // A row of 450 bytes about to be loaded: 500 cached + 100 held + 450 > 1,000, the cached 500-byte one goes.
    lease.hold("row", 450);
    expect(isFreed(big)).toBe(true);
    expect(isFreed(small)).toBe(false);
    // Held again (it grew): its weight is replaced, not added.
    lease.hold("row", 460);
    expect(cache.held).toEqual({ count: 2, bytes: 560 });
    lease.end();
    expect(cache.held).toEqual({ count: 0, bytes: 0 });
    expect(cache.bytes).toBe(100);
    cache.clear();
  });

  it("a lease that does not keep what it loads puts back only what it took out of the cache, and frees the rest", () => {
    const cache = new DocumentCache(100, 1_000_000);
    const edited = entry(10);
    cache.put("u", "edited", edited);
    const lease = cache.lease("u", false);
    // A cached document the batch edits: taken out, and its new version put back.
    lease.take("edited");
    const editedNext = entry(10);
    lease.put("edited", editedNext);
    // A document the batch created, and one it loaded from the store.
    lease.hold("created", 10);
    const created = entry(10);
    lease.put("created", created);
    lease.hold("loaded", 10);
    const loaded = entry(10);
    lease.put("loaded", loaded);
    lease.end();
    expect(cache.held).toEqual({ count: 0, bytes: 0 });
    expect(cache.size).toBe(1);
    expect(cache.take("u", "edited")).toBe(editedNext);
    expect(isFreed(created)).toBe(true);
    expect(isFreed(loaded)).toBe(true);
    expect(cache.take("u", "created")).toBeUndefined();
    A.free(editedNext.doc);
    A.free(edited.doc);
    cache.clear();
  });
});
