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

  it("makes of what is not plain JSON what structuredClone makes of it", () => {
    // A map from another device may hold any key and any Automerge type; the relay checks with
    // jsonProblem before it copies, the device copies what it received.
    const doc = A.from<Record<string, unknown>>({ plain: { a: [1, "x", null, true] } });
    const odd = A.change(doc, (d) => {
      d["count"] = new A.Counter(3);
      d["scalar"] = new A.ImmutableString("kept whole");
      d["when"] = new Date(0);
      d["bytes"] = new Uint8Array([1, 2]);
    });
    const json = plainJson<Record<string, unknown>>(odd);
    expect(json).toEqual(structuredClone(odd));
    expect(json["count"]).toEqual({ value: 3 });
    expect(json["when"]).toEqual(new Date(0));
    // Automerge's proxy refuses the key; a parsed value (or a change made below the proxy) holds it.
    const parsed = JSON.parse('{"a": {"__proto__": {"polluted": true}}}') as object;
    const copied = plainJson<{ a: object }>(parsed);
    expect(Object.getPrototypeOf(copied.a)).toBe(Object.prototype);
    expect(Object.keys(copied.a)).toEqual(["__proto__"]);
    expect(copied).toEqual(structuredClone(parsed));
  });

  it("copies nesting deeper than a stored document may be", () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) deep = { next: deep };
    const doc = A.from<Record<string, unknown>>(deep);
    expect(plainJson(doc)).toEqual(A.toJS(doc));
  });
});
