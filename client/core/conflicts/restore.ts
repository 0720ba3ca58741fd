// Bringing back what a resolution record says was lost: only that, on top of the document as it
// is now (never an old payload written over it), and the record marked restored so every device
// of the person sees it was done.
// Specification: docs/conflicts.md
import type { EntityDocument, LostSet, Payloads } from "../../../schema/entities.js";
import { Code, SyncError } from "../../../schema/status.js";
import { setAt } from "../entities/three-way.js";

/** Applies record `recordId` of `doc` to `doc` (a plain copy, about to be written). */
export function restoreResolution(doc: EntityDocument, recordId: string, at: number): void {
  const record = doc.resolutions?.find((r) => r.id === recordId);
  if (!record) throw new SyncError(Code.NOT_FOUND, `no resolution ${recordId} on ${doc.type} ${doc.id}`);
  if (record.restoredAt !== null) throw new SyncError(Code.FAILED_PRECONDITION, "this was already restored");
  switch (record.kind) {
    case "overwritten":
      if (!setAt(doc, record.path, record.lost.value)) {
        throw new SyncError(Code.FAILED_PRECONDITION, "the place this value was in has been removed since");
      }
      break;
    case "edit_lost_to_delete":
      // The edit is still in the tombstoned document: bringing the entity back brings it back.
      doc.deleted = null;
      break;
    case "dropped_by_merge":
      if (doc.type !== "workout") throw new SyncError(Code.FAILED_PRECONDITION, "only workouts have sets to restore");
      addSets(doc.payload, record.lost.sets ?? []);
      break;
    case "restored_by_edit":
    case "kept_both":
      throw new SyncError(Code.FAILED_PRECONDITION, "nothing was lost; this record only informs");
  }
  record.restoredAt = at;
}

function addSets(workout: Payloads["workout"], sets: LostSet[]): void {
  for (const { exerciseId, exerciseName, set } of sets) {
    let exercise = workout.exercises.find((e) => e.id === exerciseId);
    if (!exercise) workout.exercises.push((exercise = { id: exerciseId, name: exerciseName, sets: [] }));
    if (!exercise.sets.some((s) => s.id === set.id)) exercise.sets.push(structuredClone(set));
  }
}
