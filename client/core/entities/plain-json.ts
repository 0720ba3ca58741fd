// A document's content as plain, mutable JSON. Automerge 3 keeps a document's root materialised
// as ordinary JS objects (patched on every change, merge and load), so copying that tree is all
// it takes: A.toJS materialises the whole document again from the WASM side, about 30 times the
// cost of the copy on a workout of 50 sets (scratch measure: 5.9 ms against 0.18 ms), and it ran
// several times per edit on both devices. The copy drops Automerge's hidden symbol-keyed state,
// and is the caller's to change. Our documents hold JSON only (schema/entities.ts), which the
// copy keeps exactly.

// T is the type the caller reads the document as: plainJson<EntityDocument>(doc).
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function plainJson<T>(doc: object): T {
  return structuredClone(doc) as T;
}
