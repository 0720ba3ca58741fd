// A document's content as plain, mutable JSON, for the device and the relay alike. Automerge 3
// keeps a document's root materialised as ordinary JS objects (patched on every change, merge
// and load), so copying that tree is all it takes: A.toJS materialises the whole document again
// from the WASM side, about 30 times the cost of the copy on a workout of 50 sets (scratch
// measure: 5.9 ms against 0.18 ms), and it ran several times per edit on both devices and once
// per pushed item on the relay. The copy drops Automerge's hidden symbol-keyed state, and is the
// caller's to change.
//
// The copy is made key by key, not by structuredClone: on a workout of 150 sets structuredClone
// took 0.27 ms and this 0.07 ms (scratch loop, both interleaved), and it ran several times per
// edit (bench/README.md, "plain copies"). Anything but plain objects, arrays and primitives, and
// anything nested deeper than a stored document may be, is left to structuredClone, so the
// result is what structuredClone made of it before.
//
// Trap: the copy turns an Automerge Counter or ImmutableString into a plain object ({value} /
// {val}), which looks like JSON. Our own documents hold JSON only (schema/entities.ts); a
// document from outside is checked with jsonProblem (schema/json.ts) on its root BEFORE it is
// copied, which refuses those types by prototype.
import { MAX_JSON_DEPTH } from "./json.js";

// T is the type the caller reads the document as: plainJson<EntityDocument>(doc).
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function plainJson<T>(doc: object): T {
  return copy(doc, 0) as T;
}

function copy(value: unknown, depth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth >= MAX_JSON_DEPTH) return structuredClone(value);
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i], depth + 1);
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key], depth + 1);
    // An assignment to "__proto__" would set the copy's prototype, not a key (a map from another
    // device may hold any key).
    if (key === "__proto__") Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
