// hasHistory answers as A.hasHeads does, from Automerge's history index (automerge-history.ts):
// generated documents of two actors' interleaved changes, some of them delivered to a third
// document without their dependencies (so they wait in its queue), asked about every kind of head:
// applied ones (first changes too), queued ones, ones never seen, and mixtures.
import * as A from "@automerge/automerge";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hasHistory } from "../../schema/automerge-history.js";

type Doc = { n: number; notes: string[] };

/** Changes by two actors, each change recorded with its hash. */
function history(steps: boolean[]): { changes: Uint8Array[]; hashes: string[] } {
  let a = A.from<Doc>({ n: 0, notes: [] }, { actor: "aa" });
  let b = A.merge(A.init<Doc>({ actor: "bb" }), a);
  steps.forEach((onA, i) => {
    if (onA) a = A.change(a, (d) => void d.notes.push(`a${i}`));
    else b = A.change(b, (d) => void (d.n = i));
    if (i % 3 === 2) a = A.merge(a, b);
  });
  const all = A.getAllChanges(A.merge(a, b));
  return { changes: all, hashes: all.map((c) => A.decodeChange(c).hash) };
}

const unknownHash = "ab".repeat(32);

describe("hasHistory", () => {
  it("answers as A.hasHeads for applied, queued and unknown heads", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (steps, delivered, picks, withUnknown) => {
          const { changes, hashes } = history(steps);
          // The receiving document gets a subset of the changes: those after a gap wait in its queue.
          const chosen = changes.filter((_, i) => i === 0 || delivered[i % delivered.length]);
          let doc = A.init<Doc>();
          for (const change of chosen) doc = A.loadIncremental(doc, change);
          const heads = picks.map((p) => hashes[p % hashes.length]!);
          if (withUnknown) heads.push(unknownHash);
          expect(hasHistory(doc, heads)).toBe(A.hasHeads(doc, heads));
          for (const hash of hashes) expect(hasHistory(doc, [hash])).toBe(A.hasHeads(doc, [hash]));
          expect(hasHistory(doc, [])).toBe(true);
          A.free(doc);
        },
      ),
      { numRuns: 200, seed: 20261202 },
    );
  });

  it("says yes to applied heads while other changes wait in the queue", () => {
    const { changes, hashes } = history([true, true, false, true]);
    let doc = A.load<Doc>(changes[0]!);
    doc = A.loadIncremental(doc, changes[2]!);
    expect(A.getMissingDeps(doc, []).length).toBeGreaterThan(0);
    expect(hasHistory(doc, [hashes[0]!])).toBe(true);
    expect(hasHistory(doc, [hashes[2]!])).toBe(false);
    expect(hasHistory(doc, [hashes[0]!, unknownHash])).toBe(false);
  });
});
