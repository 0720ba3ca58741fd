// The exercise library: server authoritative and shared by every user. Its entries live in the
// same table as everyone's entities, under a reserved owner no device can name, with their own
// cursor; devices pull it beside their own changes and never write it.
// Specification: docs/relay.md
import { createHash } from "node:crypto";
import * as A from "@automerge/automerge";
import { parseAutomergeUrl, stringifyAutomergeUrl, type BinaryDocumentId } from "@automerge/automerge-repo/slim";
import { create } from "@bufbuild/protobuf";
import { changeOptions } from "../../schema/document-version.js";
import { validateDocument, type Payloads } from "../../schema/entities.js";
import { deepEqual } from "../../schema/json.js";
import { EntitySnapshotSchema } from "../../schema/protocol/frames.js";
import { Code, SyncError } from "../../schema/status.js";
import { BatchRows } from "../batch-rows.js";
import type { Clock } from "../clock.js";
import type { Fanout } from "../fanout.js";
import { pairOutcomes, type EntityWrite, type RelayStore } from "../store/store.js";

/** The owner of the library's rows. Device user ids may not start with "_". */
export const CATALOG_OWNER = "_catalog";

export interface ExerciseEntry {
  /** A stable key ("back-squat"); the entity id is derived from it. */
  key: string;
  definition: Payloads["exercise_definition"];
}

/** A valid Automerge document id derived from the key, the same on every relay. */
export function catalogEntityId(key: string): string {
  const bytes = createHash("sha256").update(`exercise:${key}`).digest().subarray(0, 16);
  return parseAutomergeUrl(stringifyAutomergeUrl(new Uint8Array(bytes) as BinaryDocumentId)).documentId;
}

/**
 * Stores every entry that is new or changed, in one transaction, and sends the new versions
 * to every connected device. Returns how many entries changed.
 */
export async function publishExerciseLibrary(
  store: RelayStore,
  fanout: Fanout,
  clock: Clock,
  entries: readonly ExerciseEntry[],
): Promise<number> {
  const writes: EntityWrite[] = [];
  const now = clock.now();
  const keyed = entries.map((entry) => ({ entry, id: catalogEntityId(entry.key) }));
  // The stored entries are read a group at a time, not one query each: this runs on every start.
  const rows = new BatchRows(store, CATALOG_OWNER, keyed.map(({ id }) => id));
  for (const { entry, id } of keyed) {
    const row = await rows.take(id);
    let doc: A.Doc<Record<string, unknown>>;
    if (!row) {
      // A.from, with the change message naming this schema version (A.from takes none).
      doc = A.change(A.init<Record<string, unknown>>(), changeOptions(), (d) =>
        Object.assign(d, {
          type: "exercise_definition",
          id,
          createdAt: now,
          updatedAt: now,
          deviceId: "relay",
          deviceName: "IronFlow",
          hlc: "",
          baseVersion: 0,
          deleted: null,
          payload: structuredClone(entry.definition),
        }),
      );
    } else {
      // The stored JSON says whether the entry changed: loading every entry's document at each
      // start cost the relay's start more CPU than its migrations (bench/start.ts).
      if (deepEqual(storedPayload(row.data), entry.definition)) continue;
      const current = A.load<Record<string, unknown>>(row.doc);
      doc = A.change(current, changeOptions(), (d) => {
        d["payload"] = structuredClone(entry.definition);
        d["updatedAt"] = now;
      });
    }
    const json = A.toJS(doc);
    const checked = validateDocument("exercise_definition", json);
    if (!checked.ok) throw new SyncError(Code.INVALID_ARGUMENT, `library entry ${entry.key}: ${checked.message}`);
    writes.push({ entityId: id, entityType: "exercise_definition", baseVersion: row?.version ?? 0, doc: A.save(doc), data: json, deleted: false, deviceId: "relay" });
    A.free(doc);
  }
  if (writes.length === 0) return 0;
  const outcomes = await store.writeBatch(CATALOG_OWNER, writes);
  const snapshots = pairOutcomes(writes, outcomes).flatMap(([write, outcome]) => {
    if (outcome.kind !== "stored") return []; // another relay published the same change first
    return [
      create(EntitySnapshotSchema, {
        entityType: write.entityType,
        entityId: write.entityId,
        data: write.doc,
        version: outcome.version,
        serverTime: BigInt(outcome.updatedAt),
        cursor: outcome.cursor,
        deviceId: "relay",
      }),
    ];
  });
  fanout.publishToAll(snapshots);
  return snapshots.length;
}

function storedPayload(data: unknown): unknown {
  return typeof data === "object" && data !== null ? (data as Record<string, unknown>)["payload"] : undefined;
}
