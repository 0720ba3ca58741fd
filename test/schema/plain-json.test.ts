// The device reads documents by copying Automerge's materialised root (plain-json.ts) instead of
// materialising them again (A.toJS). That holds only while the root is kept up to date on every
// path that makes a document: these check the copy against A.toJS on each of them.
import * as A from "@automerge/automerge";
import { describe, expect, it } from "vitest";
import { plainJson } from "../../schema/plain-json.js";

type Doc = { title: string; deleted: null | { at: number }; sets: { id: string; reps: number; note?: string }[] };

const start = (): A.Doc<Doc> => A.from<Doc>({ title: "Legs", deleted: null, sets: [{ id: "a", reps: 5 }, { id: "b", reps: 5, note: "x" }] });

function same(doc: A.Doc<Doc>): void {
  const json = plainJson<unknown>(doc);
  expect(json).toEqual(A.toJS(doc));
  expect(JSON.stringify(json)).toBe(JSON.stringify(A.toJS(doc)));
}

describe("plainJson", () => {
  it("equals A.toJS after from, change, load, loadIncremental, merge and view", () => {
    const base = start();
    same(base);
    const edited = A.change(A.clone(base), (d) => {
      d.title = "Legs day";
      d.sets.push({ id: "c", reps: 8 });
      delete d.sets[1]!.note;
      d.deleted = { at: 1 };
    });
    same(edited);
    same(A.load(A.save(edited)));
    const other = A.change(A.clone(base), (d) => {
      d.sets[0]!.reps = 6;
      d.sets.splice(1, 1);
    });
    const incremental = A.loadIncremental(A.load<Doc>(A.save(other)), A.saveSince(edited, A.getHeads(base)));
    same(incremental);
    same(A.merge(A.clone(other), edited));
    same(A.view(incremental, A.getHeads(other)));
  });

  it("is a copy: changing it leaves the document as it was", () => {
    const doc = start();
    const json = plainJson<Doc>(doc);
    json.sets.push({ id: "z", reps: 1 });
    json.title = "changed";
    expect(A.toJS(doc)).toEqual(A.toJS(start()));
    expect(Object.getOwnPropertySymbols(json)).toEqual([]);
  });
});
