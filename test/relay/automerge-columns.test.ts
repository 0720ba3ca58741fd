// What a pushed chunk costs to load, read from its columns before Automerge sees it: the rows
// counted match the operations Automerge made, for documents (A.save) and changes (A.saveSince),
// and run lengths are summed without being expanded.
import * as A from "@automerge/automerge";
import { describe, expect, it } from "vitest";
import { readChunks } from "../../relay/pipeline/automerge-chunks.js";
import { chunksCost, type CostBudget } from "../../relay/pipeline/automerge-columns.js";

const roomy: CostBudget = { decodedBytes: 1 << 24, rows: 1_000_000 };

function cost(bytes: Uint8Array, budget = roomy) {
  const chunks = readChunks(bytes);
  if (!chunks.ok) throw new Error(chunks.message);
  return chunksCost(chunks.chunks, budget);
}

type Loose = Record<string, unknown>;

describe("the cost of a pushed chunk, from its columns", () => {
  it("a document's and a change's rows are the operations in them", () => {
    // title: make text + 7 inserts; sets: make list + 2 maps + 4 puts; notes: make text + 11 inserts.
    const doc = A.from<Loose>({ title: "Leg day", sets: [{ reps: 5, w: 100 }, { reps: 5, w: 100 }], notes: "hello world" });
    expect(cost(A.save(doc))).toEqual({ ok: true, cost: { decodedBytes: expect.any(Number) as unknown, rows: 27 } });
    const heads = A.getHeads(doc);
    const edited = A.change(doc, (d) => {
      A.splice(d, ["notes"], 0, 5); // five deletions
      delete d["title"]; // one
    });
    expect(cost(A.saveSince(edited, heads))).toMatchObject({ ok: true, cost: { rows: 6 } });
    A.free(edited);
  });

  it("a long run of one repeated operation is counted, not expanded, and refused past the budget", () => {
    const doc = A.change(A.from<Loose>({ junk: "" }), (d) => A.splice(d, ["junk"], 0, 0, "a".repeat(20_000)));
    const bytes = A.save(doc);
    A.free(doc);
    expect(bytes.length).toBeLessThan(500);
    // One make-text, then 20,000 inserts.
    expect(cost(bytes)).toMatchObject({ ok: true, cost: { rows: 20_001 } });
    expect(cost(bytes, { ...roomy, rows: 10_000 })).toEqual({ ok: false, message: "changes hold more than 10000 operations" });
  });

  it("a change whose columns are cut short is refused, not guessed", () => {
    const doc = A.from<Loose>({ title: "Leg day" });
    const heads = A.getHeads(doc);
    const edited = A.change(doc, (d) => void (d["reps"] = 5));
    const chunks = readChunks(A.saveSince(edited, heads));
    A.free(edited);
    if (!chunks.ok) throw new Error(chunks.message);
    const [chunk] = chunks.chunks;
    const cut = { ...chunk!, bytes: chunk!.bytes.subarray(0, chunk!.bytes.length - 1) };
    expect(chunksCost([cut], roomy)).toEqual({ ok: false, message: "chunk 1's columns do not parse" });
  });
});
