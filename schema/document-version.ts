// The schema version of an entity document, and the upgrades that bring an older document
// forward on read.
//
// Where the version lives: in the document's history, not in its JSON. Every change a device or
// the relay writes carries the message `ironflow-schema/N` (N: the writer's schema version);
// a change without one was written before versions existed, version 1. A document's version is
// the highest its changes name. Why not a root key: the schemas are strict (an unknown key is
// refused), so a `schemaVersion` key would make every device and relay of the previous release
// refuse the document, while a change message is something they carry and never look at. So old
// and new apps keep syncing the same documents, over any protocol version, with no .proto change.
//
// Upgrades run on the plain JSON read out of a document, before validation; they never rewrite
// history by themselves. When the app edits an upgraded document, the edit is written as the
// difference from the stored JSON, so the upgrade goes in with it, tagged with this version.
//
// The rules an upgrade keeps:
// - idempotent: a device of the previous release may write an untagged change into a newer
//   document, and a document viewed at older heads has no version of its own, so readers may
//   run the upgrades from any lower bound of the version (1 is always safe);
// - while devices of the previous release still sync, what an upgrade writes must be what the
//   previous schema accepts (test/schema/document-version.test.ts checks it with that release's
//   own schema, kept in test/fixtures/schema-v1/).
// Specification: docs/data-model.md
import * as A from "@automerge/automerge";
import { Code, SyncError } from "./status.js";

/** The schema version this build writes, and the newest it reads. */
export const SCHEMA_VERSION = 2;

const TAG_PREFIX = "ironflow-schema/";
const TAG = /^ironflow-schema\/([1-9][0-9]{0,8})$/;

/** The message a change written by this build carries (Automerge's change message). */
export function schemaTag(version = SCHEMA_VERSION): string {
  return `${TAG_PREFIX}${String(version)}`;
}

/** The options every A.change of an entity document is made with. */
export function changeOptions(): { message: string } {
  return { message: schemaTag() };
}

/** The version a change's message names: 1 for none (or a message that is not a tag). */
export function taggedVersion(message: string | null | undefined): number {
  const match = message ? TAG.exec(message) : null;
  return match ? Number(match[1]) : 1;
}

/** The highest version any of `changes` names (1 for none). */
export function schemaVersionOf(changes: readonly { message: string | null }[]): number {
  let version = 1;
  for (const change of changes) version = Math.max(version, taggedVersion(change.message));
  return version;
}

/**
 * The highest version named by the changes of `doc` since `heads` (all of them for none). Reading
 * change metadata costs about 30 µs a change, so callers look at the changes that are new to
 * them, not the whole history on every read.
 */
export function versionSince(doc: A.Doc<object>, heads: A.Heads = []): number {
  return schemaVersionOf(A.getChangesMetaSince(doc, heads));
}

/**
 * A document written by a newer schema than this build knows. It is kept as it is (stored,
 * never dropped, never edited over: this build cannot tell what an edit would destroy); the app
 * says to update. FAILED_PRECONDITION: the same item may pass once the reader is updated.
 */
export class SchemaTooNew extends SyncError {
  constructor(
    readonly found: number,
    readonly known = SCHEMA_VERSION,
  ) {
    super(Code.FAILED_PRECONDITION, `written by a newer version of the app (document schema ${String(found)}, this one reads up to ${String(known)}): update the app; the document is kept as it is`);
  }
}

/** Throws SchemaTooNew when `version` is newer than this build reads. */
export function requireKnownVersion(version: number): void {
  if (version > SCHEMA_VERSION) throw new SchemaTooNew(version);
}

type Json = Record<string, unknown>;

/**
 * UPGRADES[k] brings a document of version k to version k + 1. It receives any JSON (validation
 * comes after), so it checks shapes before it touches them, and it copies what it changes (a
 * document that needs nothing costs nothing, and the caller's value is never changed).
 */
const UPGRADES: Readonly<Partial<Record<number, (doc: Json) => Json>>> = {
  // 1 -> 2: the server version an edit was built on is always written, on the document and on
  // its tombstone. Documents (and deletes) made before it was kept lack it; every reader took
  // the missing value as 0, which is what the upgrade writes.
  1: (doc) => {
    let out = "baseVersion" in doc ? doc : { ...doc, baseVersion: 0 };
    const deleted = out["deleted"];
    if (isObject(deleted) && !("baseVersion" in deleted)) out = { ...out, deleted: { ...deleted, baseVersion: 0 } };
    return out;
  },
};

/**
 * `json` brought forward from version `from` (or any lower bound of it) to SCHEMA_VERSION, as a
 * copy where anything changed. Throws SchemaTooNew for a version newer than this build reads.
 */
export function upgradeDocument<T>(json: T, from = 1): T {
  requireKnownVersion(from);
  if (!isObject(json)) return json;
  let out: Json = json;
  for (let version = Math.max(1, from); version < SCHEMA_VERSION; version++) out = UPGRADES[version]?.(out) ?? out;
  return out as T;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
