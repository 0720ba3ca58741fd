// Version check and apply: the item's changes go onto the relay's snapshot only when the device
// built on the relay's current version; the result must validate against its type before it is
// stored.
// Specification: docs/relay.md
import * as A from "@automerge/automerge";
import { hasHistory } from "../../schema/automerge-history.js";
import { SCHEMA_VERSION, schemaVersionOf } from "../../schema/document-version.js";
import { validateDocument } from "../../schema/entities.js";
import { jsonProblem } from "../../schema/json.js";
import { plainJson } from "../../schema/plain-json.js";
import { Code } from "../../schema/status.js";
import { automergeFailure, automergeUnavailable } from "../automerge-readiness.js";
import type { CachedDocument, RelayDoc } from "../document-cache.js";
import { historyHeads, readChunks } from "./automerge-chunks.js";
import { chunksCost, type CostBudget } from "./automerge-columns.js";
import type { CheckedItem, ItemFailure } from "./check-item.js";

export type ApplyOutcome =
  /** `pushedChunks`: how many Automerge chunks the pushed bytes hold (all of them whole and checked). */
  | { kind: "applied"; doc: RelayDoc; json: Record<string, unknown>; deleted: boolean; pushedChunks: number }
  /** Every pushed change was already there (a retry): no new version; `current.doc` may be cached again. */
  | { kind: "unchanged"; current: CachedDocument }
  /** The device built on an older version: `current` is the relay's, unchanged. */
  | { kind: "conflict"; current: CachedDocument }
  /** Refused before touching the document: `current` is unchanged and may be cached again. */
  | ({ kind: "rejected" } & ItemFailure)
  /** The changes were applied and the result refused: `current.doc` is consumed (freed). */
  | ({ kind: "invalid" } & ItemFailure);

/**
 * `relayDoc` is the relay's document (loaded, or the stored row's bytes), undefined when the
 * entity does not exist yet. `budget` bounds what the pushed bytes may decode to and the
 * operations they hold, before Automerge loads them (limits.pushBudget).
 */
export function applyChanges(
  item: CheckedItem,
  relayDoc: CachedDocument | StoredDocument | undefined,
  budget: CostBudget,
  /** Why Automerge's module fails, or undefined (automerge-readiness.ts): asked when a load throws. */
  moduleFailure: () => string | undefined = automergeFailure,
): ApplyOutcome {
  let current = relayDoc;
  const currentVersion = current?.version ?? 0;
  if (item.baseVersion > currentVersion) {
    return {
      kind: "rejected",
      code: Code.FAILED_PRECONDITION,
      message: `version ${item.baseVersion} is from the future: the relay has version ${currentVersion}`,
    };
  }
  if (current && item.baseVersion < current.version) return { kind: "conflict", current: loadedDocument(current) };
  if (current && current.entityType !== item.entityType) {
    return { kind: "rejected", code: Code.INVALID_ARGUMENT, message: `entity is a ${current.entityType}, not a ${item.entityType}` };
  }

  // Bytes Automerge would skip (random bytes, a corrupted or cut chunk, trailing garbage) are
  // refused here: a push that loads as "no change" must never be answered as stored.
  const chunks = readChunks(item.changes);
  if (!chunks.ok) return { kind: "rejected", code: Code.INVALID_ARGUMENT, message: `changes are not Automerge data: ${chunks.message}` };
  // WebAssembly memory never shrinks: what a push decodes to, and the operations it holds, are
  // bounded before the load, not after.
  const cost = chunksCost(chunks.chunks, budget);
  if (!cost.ok) return { kind: "rejected", code: Code.INVALID_ARGUMENT, message: cost.message };
  const pushedHashes = chunks.chunks.flatMap((c) => (c.hash === undefined ? [] : [c.hash]));
  // The heads pushed document chunks name in their headers (a change chunk's hash is its bytes').
  const namedHeads = historyHeads(chunks.chunks.filter((c) => c.hash === undefined));
  if (!namedHeads) return { kind: "rejected", code: Code.INVALID_ARGUMENT, message: "changes are not Automerge data: a document chunk's header does not parse" };

  // A stored row the push builds on is loaded together with the pushed changes, in one A.load
  // (a document the cache let go: every update of it would otherwise load the row, then apply
  // the changes, the second step costing about half the first).
  const together = current && !isLoaded(current) ? loadWithRow(current, item.changes) : undefined;
  let doc: RelayDoc;
  let headsBefore: string[];
  if (together) {
    ({ doc, headsBefore } = together);
  } else {
    const loaded = current ? loadedDocument(current) : undefined;
    current = loaded;
    headsBefore = loaded ? A.getHeads(loaded.doc) : [];
    try {
      // A new entity's changes are its whole history: loading them is several times cheaper than
      // replaying them onto an empty document.
      doc = loaded ? A.loadIncremental(loaded.doc, item.changes) : A.load<Record<string, unknown>>(item.changes);
    } catch (err) {
      // A trapped module throws on every call: the bytes are not at fault, the relay is.
      const failure = moduleFailure();
      if (failure !== undefined) throw automergeUnavailable(failure);
      if (loaded) A.free(loaded.doc);
      return { kind: "invalid", code: Code.INVALID_ARGUMENT, message: `changes are not Automerge data: ${(err as Error).message}` };
    }
  }
  const refuse = (code: Code, message: string): ApplyOutcome => {
    A.free(doc);
    return { kind: "invalid", code, message };
  };
  if (A.getMissingDeps(doc, []).length > 0 || !hasHistory(doc, pushedHashes)) {
    return refuse(Code.INVALID_ARGUMENT, "changes depend on history the relay does not have: push the changes since the last synced heads");
  }
  // Automerge checks the heads a document chunk names only when it is the first chunk of a load;
  // loadIncremental, or a chunk after the row's, hashes its changes and ignores its header. A
  // chunk whose heads are not its changes would be stored as pushed: bytes Automerge refuses
  // wherever they come first, and heads read from the row's headers (historyHeads) that name a
  // change nobody made.
  if (!hasHistory(doc, namedHeads)) {
    return refuse(Code.INVALID_ARGUMENT, "changes are not Automerge data: a document chunk names heads that are not the changes it holds");
  }
  // The changes new to the relay (a create: the whole history, which a create carries anyway).
  const added = A.getChangesMetaSince(doc, headsBefore);
  // A document written by a newer schema cannot be validated by this relay: refused, and the
  // device keeps it (FAILED_PRECONDITION: review, not a retry loop) until the relay is updated.
  const written = schemaVersionOf(added);
  if (written > SCHEMA_VERSION) {
    return refuse(Code.FAILED_PRECONDITION, `document schema ${String(written)} is newer than this relay reads (up to ${String(SCHEMA_VERSION)}): update the relay; the change stays on the device`);
  }
  if (current) {
    // Every change of an entity descends from its one first change; a change without
    // dependencies added later starts another document's history, whose merge would be decided
    // by actor order, not by anyone's edit.
    if (added.some((change) => change.deps.length === 0)) {
      return refuse(Code.INVALID_ARGUMENT, "changes are from another document's history, not this entity's");
    }
    if (added.length === 0) return { kind: "unchanged", current: { ...withoutBytes(current), doc } };
  }
  // The materialised root is checked before it is copied: the copy (plainJson) would turn an
  // Automerge Counter or ImmutableString into a plain object that passes as JSON.
  const problem = jsonProblem(doc);
  if (problem !== undefined) return refuse(Code.INVALID_ARGUMENT, `invalid ${item.entityType}: ${problem}`);
  // What is stored (the row's jsonb copy) is the document as it is; it validates as its upgrade
  // to this schema version (validateDocument runs the upgrades), so a device of the previous
  // release, whose documents lack what this version always writes, keeps syncing.
  const json = plainJson<Record<string, unknown>>(doc);
  const validation = validateDocument(item.entityType, json);
  if (!validation.ok) return refuse(Code.INVALID_ARGUMENT, validation.message);
  if (validation.value.id !== item.entityId) return refuse(Code.INVALID_ARGUMENT, "document id does not match the item's entity id");
  return { kind: "applied", doc, json, deleted: validation.value.deleted !== null, pushedChunks: chunks.chunks.length };
}

/**
 * A stored row not loaded yet (the cache did not hold it): its bytes and what the cache would
 * keep beside a loaded document.
 */
export type StoredDocument = Omit<CachedDocument, "doc"> & { bytes: Uint8Array };

function isLoaded(current: CachedDocument | StoredDocument): current is CachedDocument {
  return "doc" in current;
}

/** The document, loaded from the row's bytes when it is not loaded yet. */
function loadedDocument(current: CachedDocument | StoredDocument): CachedDocument {
  return isLoaded(current) ? current : { ...withoutBytes(current), doc: A.load<Record<string, unknown>>(current.bytes) };
}

function withoutBytes(current: CachedDocument | StoredDocument): Omit<CachedDocument, "doc"> {
  const { entityType, version, cursor, updatedAt, savedBytes, storedChunks } = current;
  return { entityType, version, cursor, updatedAt, savedBytes, storedChunks };
}

/**
 * The row's bytes and the pushed changes loaded as one document, and the heads the row's history
 * ends at (read from its chunks), or undefined when that does not work out (the row's framing
 * does not parse, or the concatenation does not load): the caller then takes the
 * row-then-changes path, which answers each such push as it always has. Both hold the same
 * changes (a change whose dependencies are missing stays queued in either, and is refused after),
 * so validation and storage go on exactly as after loadIncremental.
 */
function loadWithRow(row: StoredDocument, changes: Uint8Array): { doc: RelayDoc; headsBefore: string[] } | undefined {
  const chunks = readChunks(row.bytes);
  const headsBefore = chunks.ok ? historyHeads(chunks.chunks) : undefined;
  if (!headsBefore) return undefined;
  const bytes = new Uint8Array(row.bytes.length + changes.length);
  bytes.set(row.bytes);
  bytes.set(changes, row.bytes.length);
  let doc: RelayDoc;
  try {
    doc = A.load<Record<string, unknown>>(bytes);
  } catch {
    return undefined;
  }
  if (!hasHistory(doc, headsBefore)) {
    A.free(doc);
    return undefined;
  }
  return { doc, headsBefore };
}
