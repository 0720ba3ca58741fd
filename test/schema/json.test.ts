// jsonProblem is the relay's check that a pushed document is JSON every store can hold; its
// answer names where the problem is, spelled only once one is found (schema/json.ts).
import * as A from "@automerge/automerge";
import { describe, expect, it } from "vitest";
import { jsonProblem } from "../../schema/json.js";

describe("jsonProblem", () => {
  it("answers undefined for plain JSON, an Automerge root included", () => {
    expect(jsonProblem({ a: [1, "x", null, true, { b: [] }], c: {} })).toBeUndefined();
    expect(jsonProblem(A.from({ sets: [{ id: "s1", reps: 5 }] }))).toBeUndefined();
  });

  it("names the path of what is not JSON, list indices and long keys included", () => {
    const long = "k".repeat(100);
    expect(jsonProblem({ payload: { exercises: [{ name: "ok" }, { name: "bad\u0000" }] } })).toBe(
      "(root).payload.exercises.1.name: contains a NUL character (U+0000)",
    );
    expect(jsonProblem({ [long]: [0, Number.NaN] })).toBe(`(root).${"k".repeat(64)}.1: numbers must be finite`);
    expect(jsonProblem({ a: { "bad\ud800": 1 } })).toBe("(root).a: a key contains a lone UTF-16 surrogate");
    expect(jsonProblem(A.from({ n: { count: new A.Counter(1) } }))).toBe("(root).n.count: Counter is not JSON");
    expect(jsonProblem(() => 1)).toBe("(root): function is not JSON");
  });

  it("refuses nesting past its depth, at the first level too deep", () => {
    expect(jsonProblem({ a: { b: { c: 1 } } }, 2)).toBe("(root).a.b: nested deeper than 2 levels");
    expect(jsonProblem({ a: { b: 1 } }, 2)).toBeUndefined();
  });
});
