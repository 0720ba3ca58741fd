// The device storage seam: Automerge Repo's StorageAdapterInterface, a key-value store with key
// ranges (IndexedDB in the browser, files in Node, and an encrypting wrapper around either).
// Everything the device keeps goes through one of these: documents (document-store.ts), the sync
// queue, entity records and device state (record-store.ts).
//
// Contract (test/client/seams/device-storage.suite.ts checks each clause on every implementation):
// - save(key, bytes) resolves once the bytes are stored: a process killed after that keeps them.
//   Saving a key again replaces its bytes.
// - load(key) resolves with the bytes last saved under exactly that key, or undefined.
// - loadRange(prefix) resolves with every stored entry whose key starts with the segments of
//   `prefix`, each with its full key. Implementations differ on whether ["a", "b"] also matches
//   ["a", "bc"] (the file adapter compares joined strings), so no segment the device uses is a
//   string prefix of another in the same place: record kinds are listed in record-store.ts and a
//   test holds that rule; document ids are random 16-byte ids (one being a string prefix of
//   another is as unlikely as two colliding).
// - remove(key) and removeRange(prefix) delete; deleting what is not there is not an error.
// - Keys are arrays of non-empty strings of letters, digits and . _ : # + - ~ (no "/"; the peer
//   state's records are keyed `<peer>~cursor`).
// - A failure (storage full, storage gone) rejects the call; nothing half-written is reported.
// - EncryptedStorage rejects a load or loadRange holding a value that does not open
//   (StorageUnreadable); its loadReadableRange sets such values apart instead (records only).
// Specification: docs/device-storage.md
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";

export type DeviceStorage = StorageAdapterInterface;

/** A write the storage refused: the disk is full, or the storage went away. Nothing was stored. */
export class StorageWriteFailed extends Error {
  override readonly name = "StorageWriteFailed";
  /** The device is out of space (IndexedDB's QuotaExceededError, a file system's ENOSPC). */
  readonly full: boolean;
  constructor(cause: unknown) {
    super(`the device could not store it: ${cause instanceof Error ? cause.message : "the write was aborted"}`, { cause });
    this.full = isStorageFull(cause);
  }
}

export function isStorageFull(err: unknown): boolean {
  if (err instanceof StorageWriteFailed) return err.full;
  if (typeof err !== "object" || err === null) return false;
  const { name, code } = err as { name?: unknown; code?: unknown };
  return name === "QuotaExceededError" || code === "ENOSPC" || code === "EDQUOT";
}
