// What a resolution record keeps of the losing side: shared by the settlements of concurrent
// changes (conflicts/plan-resolution.ts) and by a local change made on what the screen showed
// after the document moved on (entity-store.ts), so a delete is recorded the same way whichever
// of the two met the other's edit.
// Specification: docs/conflicts.md
import type { DeviceRef, EntityDocument, LostSet, Resolution } from "../../../schema/entities.js";
import { deepEqual } from "../../../schema/json.js";

/** A resolution record before it is given its id, time and settling device. */
export type ResolutionDraft = Omit<Resolution, "id" | "at" | "by" | "restoredAt">;

/** A losing value as a record keeps it (an absent value: nothing to keep). */
export function lostValue(value: unknown): Resolution["lost"] {
  return value === undefined ? {} : { value: structuredClone(value) as Resolution["lost"]["value"] };
}

/** The device whose write a document's stamp names. */
export function deviceOf(doc: EntityDocument): DeviceRef {
  return { id: doc.deviceId, name: doc.deviceName };
}

/** A delete won over `editor`'s edit since `base`: the record keeps what the edit brought (a workout's new or changed sets). */
export function editLostToDelete(base: EntityDocument | undefined, editor: EntityDocument): ResolutionDraft {
  const lost = editor.type === "workout" ? { sets: changedSets(base, editor) } : lostValue(editor.payload);
  return { kind: "edit_lost_to_delete", path: ["payload"], lost, losing: deviceOf(editor) };
}

/** Sets new or changed on `side` since `base`, with their exercise. */
export function changedSets(base: EntityDocument | undefined, side: EntityDocument): LostSet[] {
  const before = new Map(setsOf(base).map((entry) => [entry.set.id, entry.set]));
  return setsOf(side).filter((entry) => !deepEqual(before.get(entry.set.id), entry.set));
}

export function setsOf(doc: EntityDocument | undefined): LostSet[] {
  if (doc?.type !== "workout") return [];
  return doc.payload.exercises.flatMap((e) => e.sets.map((set) => ({ exerciseId: e.id, exerciseName: e.name, set })));
}
