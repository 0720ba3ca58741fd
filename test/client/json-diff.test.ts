// Writing only the difference keeps concurrent edits to other elements alive through a merge.
import * as A from "@automerge/automerge";
import { describe, expect, it } from "vitest";
import { applyJsonDiff } from "../../client/core/entities/json-diff.js";

type Doc = { title: string; sets: { id: string; reps: number }[]; notes?: string };

function edit(doc: A.Doc<Doc>, mutate: (plain: Doc) => void): A.Doc<Doc> {
  const before = A.toJS<Doc>(doc);
  const after = structuredClone(before);
  mutate(after);
  return A.change(doc, (d) => applyJsonDiff(d as unknown as Record<string, unknown>, before as never, after as never));
}

describe("applyJsonDiff", () => {
  const base = () => A.from<Doc>({ title: "Legs", sets: [{ id: "a", reps: 5 }, { id: "b", reps: 5 }], notes: "x" });

  it("makes the document equal to the edited copy: set, delete, insert, move, remove", () => {
    const doc = edit(base(), (p) => {
      p.title = "Legs day";
      delete p.notes;
      p.sets = [{ id: "c", reps: 3 }, { id: "b", reps: 6 }, { id: "a", reps: 5 }];
    });
    expect(A.toJS(doc)).toEqual({ title: "Legs day", sets: [{ id: "c", reps: 3 }, { id: "b", reps: 6 }, { id: "a", reps: 5 }] });
  });

  it("a set added on one device and another set edited on a second both survive the merge", () => {
    const start = base();
    const one = edit(A.clone(start), (p) => {
      p.sets.push({ id: "c", reps: 8 });
    });
    const two = edit(A.clone(start), (p) => {
      p.sets[0]!.reps = 4;
    });
    const merged = A.toJS<Doc>(A.merge(one, two));
    expect(merged.sets).toEqual([{ id: "a", reps: 4 }, { id: "b", reps: 5 }, { id: "c", reps: 8 }]);
  });
});
