// A document's content as plain, mutable JSON, for the device and the relay alike. Automerge 3
// keeps a document's root materialised as ordinary JS objects (patched on every change, merge
// and load), so copying that tree is all it takes: A.toJS materialises the whole document again
// from the WASM side, about 30 times the cost of the copy on a workout of 50 sets (scratch
// measure: 5.9 ms against 0.18 ms), and it ran several times per edit on both devices and once
// per pushed item on the relay. The copy drops Automerge's hidden symbol-keyed state, and is the
// caller's to change.
//
// Trap: the copy turns an Automerge Counter or ImmutableString into a plain object ({value} /
// {val}), which looks like JSON. Our own documents hold JSON only (schema/entities.ts); a
// document from outside is checked with jsonProblem (schema/json.ts) on its root BEFORE it is
// copied, which refuses those types by prototype.

// T is the type the caller reads the document as: plainJson<EntityDocument>(doc).
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function plainJson<T>(doc: object): T {
  return structuredClone(doc) as T;
}
