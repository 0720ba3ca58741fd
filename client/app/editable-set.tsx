// One stored set in the editor. What the person types stays a draft until they leave the field
// or press Enter; then it is saved, and the draft is dropped once the save has resolved (so the
// field never flicks back to the old value while the change is being written; a save that fails
// leaves it as typed). The save is based on the document the person saw when they started
// typing: a field they did not touch is never written, and one changed on another device
// meanwhile is not silently overwritten.
import { useRef, useState } from "react";
import type { WorkoutSet } from "../core/index.js";
import type { SetValues } from "./device/workout-edit.js";
import { useLeaveGuard } from "./leave-guard.js";
import { SetFields } from "./set-fields.js";
import { parseSet, setToDraft, type SetDraft } from "./workout-drafts.js";

interface Props {
  set: WorkoutSet;
  number: number;
  label: string;
  /** Heads of the document on screen. */
  heads: string[];
  /** "Merge both" kept this set as another device's version of set `keptFromNumber`. */
  keptFromNumber?: number | undefined;
  /** Resolves true once saved on this device, false if the save failed (the draft stays). */
  onSave: (values: SetValues, basedOn: string[]) => Promise<boolean>;
}

export function EditableSet({ set, number, label, heads, keptFromNumber, onSave }: Props) {
  const [draft, setDraft] = useState<SetDraft | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useLeaveGuard(draft !== null);
  // What the screen showed when the person started typing.
  const basedOn = useRef<string[] | null>(null);
  const edit = (next: SetDraft) => {
    basedOn.current ??= heads;
    setDraft(next);
  };

  const commit = async (typed: SetDraft) => {
    const parsed = parseSet(typed, set.id, label);
    if (!parsed.ok) {
      setProblem(parsed.message);
      return;
    }
    setProblem(null);
    const { reps, weight, unit, rpe } = parsed.value;
    const unchanged = reps === set.reps && weight === set.weight && unit === set.unit && rpe === set.rpe;
    // Drop the draft only if it is still the one saved: the person may have typed on meanwhile.
    if (unchanged || (await onSave({ reps, weight, unit, rpe }, basedOn.current ?? heads))) {
      setDraft((current) => {
        if (current !== typed) return current;
        basedOn.current = null;
        return null;
      });
    }
  };

  return (
    <li className={`set-row ${set.keptFrom ? "set-row-kept" : ""}`} data-testid="set-row" data-set-id={set.id}>
      <span className="set-number">{number}</span>
      <SetFields draft={draft ?? setToDraft(set)} label={label} onChange={edit} onCommit={(d) => void commit(d)} />
      {set.keptFrom && (
        <p className="kept-from" data-testid="kept-from">
          {set.keptFrom.device.name || "Another device"}'s version of set {keptFromNumber ?? "?"}, kept by “Merge both”
        </p>
      )}
      {problem && (
        <p className="set-problem" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
