// An EntityStore as a device keeps it (documents and records in one IndexedDB storage, from
// fake-indexeddb), on a clock of its own, for tests of what the store does with documents.
import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { HybridLogicalClock } from "../../client/core/clock/hlc.js";
import type { EntityRecord } from "../../client/core/entities/entity-record.js";
import { EntityStore } from "../../client/core/entities/entity-store.js";
import { IndexedDbStorage } from "../../client/core/storage/indexeddb-storage.js";
import { DocumentStore } from "../../client/core/storage/document-store.js";
import { RecordStore } from "../../client/core/storage/record-store.js";

let stores = 0;

/** A new, empty store in a database of its own; its clock moves a second per reading. */
export async function openEntityStore(name: string): Promise<EntityStore> {
  const storage = new IndexedDbStorage(`${name}-${String(++stores)}`);
  let time = 1_800_000_000_000;
  const now = () => (time += 1000);
  const store = new EntityStore(new DocumentStore(storage, 8), new RecordStore<EntityRecord>(storage, "entity"), new HybridLogicalClock("new-phone", now), { id: "new-phone", name: "New phone" }, now);
  await store.load();
  return store;
}

/** Bytes of a document as a release of schema version 1 stored it (test/schema/fixtures/make-v1-documents.ts). */
export function v1Document(name: "v1-workout" | "v1-workout-deleted" | "v1-exercise-definition"): Uint8Array {
  return new Uint8Array(readFileSync(new URL(`../schema/fixtures/${name}.automerge`, import.meta.url)));
}
