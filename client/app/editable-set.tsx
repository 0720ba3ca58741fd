// One stored set in the editor. What the person types stays a draft until they leave the field
// or press Enter; then it is saved, and the draft is dropped once the save has resolved (so the
// field never flicks back to the old value while the change is being written). The save is based
// on the document the person saw when they started typing: a field they did not touch is never
// written, and one changed on another device meanwhile is not silently overwritten.
import { useRef, useState } from "react";
import type { WorkoutSet } from "../core/index.js";
import { SetFields } from "./set-fields.js";
import { parseSet, setToDraft, type SetDraft } from "./workout-drafts.js";

interface Props {
  set: WorkoutSet;
  number: number;
  label: string;
  /** Heads of the document on screen. */
  heads: string[];
  /** Resolves true once saved on this device, false if the save failed (the draft stays). */
  onSave(next: WorkoutSet, basedOn: string[]): Promise<boolean>;
}

export function EditableSet({ set, number, label, heads, onSave }: Props) {
  const [draft, setDraft] = useState<SetDraft | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
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
    const next = { ...parsed.value, completed: set.completed };
    const unchanged = next.reps === set.reps && next.weight === set.weight && next.unit === set.unit && next.rpe === set.rpe;
    // Drop the draft only if it is still the one saved: the person may have typed on meanwhile.
    if (unchanged || (await onSave(next, basedOn.current ?? heads))) {
      setDraft((current) => {
        if (current !== typed) return current;
        basedOn.current = null;
        return null;
      });
    }
  };

  return (
    <li className="set-row" data-testid="set-row" data-set-id={set.id}>
      <span className="set-number">{number}</span>
      <SetFields draft={draft ?? setToDraft(set)} label={label} onChange={edit} onCommit={(d) => void commit(d)} />
      {problem && (
        <p className="set-problem" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
