// What the store keeps for an accepted push, chosen so the relay seldom runs A.save on the hot
// path: a create stores the bytes the device pushed (they are the whole history, and the relay
// has just loaded and validated exactly them); an update appends the pushed changes to the row's
// bytes (A.load takes the concatenation of whole chunks, duplicates included). The row is
// compacted to one A.save when the chunks pile up or the bytes would pass the document limit.
// The append runs under the write's optimistic lock (`WHERE version = base`): the changes follow
// exactly the version they were validated on, and Postgres alone decides the version.
// Specification: docs/relay.md
import * as A from "@automerge/automerge";
import type { RelayDoc } from "./document-cache.js";

/**
 * Chunks a stored row may hold before the next update compacts it. Loading 32 small chunks costs
 * about what one A.save of a workout does, and a compaction then costs one A.save per 32 pushes.
 */
export const MAX_STORED_CHUNKS = 32;

export interface StoredForm {
  /** What goes to the store: the whole document, or with `append` the changes to add to the row. */
  bytes: Uint8Array;
  append: boolean;
  /** Length of the row's bytes once stored, and its chunks. */
  storedBytes: number;
  storedChunks: number;
}

/**
 * `current` is what the row holds at the version the push built on (undefined for a create);
 * `doc` is the validated document after the push.
 */
export function storedForm(
  pushed: { changes: Uint8Array; chunks: number },
  current: { savedBytes: number; storedChunks: number } | undefined,
  doc: RelayDoc,
  maxDocumentBytes: number,
): StoredForm {
  if (!current) {
    if (pushed.chunks <= MAX_STORED_CHUNKS && pushed.changes.length <= maxDocumentBytes) {
      return { bytes: pushed.changes, append: false, storedBytes: pushed.changes.length, storedChunks: pushed.chunks };
    }
  } else {
    const storedBytes = current.savedBytes + pushed.changes.length;
    const storedChunks = current.storedChunks + pushed.chunks;
    if (storedChunks <= MAX_STORED_CHUNKS && storedBytes <= maxDocumentBytes) {
      return { bytes: pushed.changes, append: true, storedBytes, storedChunks };
    }
  }
  const saved = A.save(doc);
  return { bytes: saved, append: false, storedBytes: saved.length, storedChunks: 1 };
}
