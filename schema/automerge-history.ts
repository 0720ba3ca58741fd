// Whether a document holds the changes some heads name, asked of its history index.
//
// Automerge's own `hasHeads` rebuilds each named change from the document's columns to find it:
// about 0.3 ms for a workout's heads and over 1 ms for one of its first changes (Automerge 3.5),
// paid on every edit (the changes since the synced heads) and on every push the relay checks.
// `getMissingDeps` looks the hashes up instead (a few microseconds), and answers for all but one
// case: a head that arrived without its dependencies waits in the document's queue, not in its
// history, and is not reported missing; only then is `hasHeads` asked.
import * as A from "@automerge/automerge";

/** Whether every change `heads` names is in `doc`'s history (as `A.hasHeads`). */
export function hasHistory<T>(doc: A.Doc<T>, heads: readonly string[]): boolean {
  const missing = A.getMissingDeps(doc, [...heads]);
  if (missing.length === 0) return true;
  const absent = new Set(missing);
  if (heads.some((head) => absent.has(head))) return false;
  // Only what queued changes depend on is missing: a head may be one of those queued changes.
  return A.hasHeads(doc, [...heads]);
}
