// One stored set in the editor. What the person types stays a draft until they leave the field
// or press Enter; then it is saved, and the draft is dropped once the save has resolved (so the
// field never flicks back to the old value while the change is being written; a save that fails
// leaves it as typed). The save is based on the document the person saw when they started
// typing: a field they did not touch is never written, and one changed on another device
// meanwhile is not silently overwritten. Beside it: what this set was last session, the check
// that marks it done (saving what the fields show) and its removal.
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
  /** This set in the exercise's last session, if it had one. */
  previous?: WorkoutSet | undefined;
  weightStep: (unit: WorkoutSet["unit"]) => number;
  /** "Merge both" kept this set as another device's version of set `keptFromNumber`. */
  keptFromNumber?: number | undefined;
  /** Resolves true once saved on this device, false if the save failed (the draft stays). */
  onSave: (values: SetValues, basedOn: string[]) => Promise<boolean>;
  /** Checks the set off (or not); with the values the fields show when they differ from the stored ones. */
  onDone: (completed: boolean, values: SetValues | undefined) => Promise<boolean>;
  onRemove: () => void;
}

export function EditableSet({ set, number, label, heads, previous, weightStep, keptFromNumber, onSave, onDone, onRemove }: Props) {
  const [draft, setDraft] = useState<SetDraft | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useLeaveGuard(draft !== null);
  // What the screen showed when the person started typing.
  const basedOn = useRef<string[] | null>(null);
  const edit = (next: SetDraft) => {
    basedOn.current ??= heads;
    setDraft(next);
  };
  const dropDraft = (typed: SetDraft) =>
    setDraft((current) => {
      // Drop the draft only if it is still the one saved: the person may have typed on meanwhile.
      if (current !== typed) return current;
      basedOn.current = null;
      return null;
    });

  const parse = (typed: SetDraft): SetValues | undefined => {
    const parsed = parseSet(typed, set.id, label);
    if (!parsed.ok) {
      setProblem(parsed.message);
      return undefined;
    }
    setProblem(null);
    const { reps, weight, unit, rpe } = parsed.value;
    return { reps, weight, unit, rpe };
  };
  const sameAsStored = (v: SetValues) => v.reps === set.reps && v.weight === set.weight && v.unit === set.unit && v.rpe === set.rpe;

  const commit = async (typed: SetDraft) => {
    const values = parse(typed);
    if (!values) return;
    if (sameAsStored(values) || (await onSave(values, basedOn.current ?? heads))) dropDraft(typed);
  };

  const toggleDone = async () => {
    const typed = draft;
    const values = typed ? parse(typed) : undefined;
    if (typed && !values) return;
    if ((await onDone(!set.completed, values && !sameAsStored(values) ? values : undefined)) && typed) dropDraft(typed);
  };

  const status = set.completed ? "done" : "todo";
  return (
    <li className={`set-row set-row-${status} ${set.keptFrom ? "set-row-kept" : ""}`} data-testid="set-row" data-set-id={set.id} data-done={set.completed}>
      <span className="set-number">{number}</span>
      <SetFields draft={draft ?? setToDraft(set)} label={label} weightStep={weightStep((draft ?? set).unit)} onChange={edit} onCommit={(d) => void commit(d)} />
      <div className="set-actions">
        <span className="set-previous" data-testid="set-previous">
          {previous ? `Last: ${previous.weight} ${previous.unit} × ${previous.reps}` : "Last: –"}
        </span>
        <button type="button" className="icon-button set-remove" aria-label={`Remove ${label}`} onClick={onRemove}>
          ×
        </button>
        <button
          type="button"
          className={`icon-button set-check ${set.completed ? "is-done" : ""}`}
          aria-label={`Done: ${label}`}
          aria-pressed={set.completed}
          onClick={() => void toggleDone()}
        >
          ✓
        </button>
      </div>
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
