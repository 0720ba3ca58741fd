// One set's inputs: reps, weight, unit, RPE. Controlled; `onCommit` fires when the person is
// done with a field (leaves it, presses Enter, or picks a unit), so an editor can save once per
// edit rather than once per keystroke.
import type { KeyboardEvent } from "react";
import type { SetDraft, Unit } from "./workout-drafts.js";

interface Props {
  draft: SetDraft;
  /** "Squat set 2": prefixes every field's accessible name. */
  label: string;
  onChange: (draft: SetDraft) => void;
  onCommit?: (draft: SetDraft) => void;
}

export function SetFields({ draft, label, onChange, onCommit }: Props) {
  const commit = () => onCommit?.(draft);
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter" && onCommit) {
      event.preventDefault();
      commit();
    }
  };
  const field = (name: "reps" | "weight" | "rpe", text: string, mode: "numeric" | "decimal", placeholder: string) => (
    <label className={`set-field set-field-${name}`}>
      <span className="set-field-caption">{text}</span>
      <input
        aria-label={`${label} ${name === "rpe" ? "RPE" : name}`}
        inputMode={mode}
        autoComplete="off"
        placeholder={placeholder}
        value={draft[name]}
        onChange={(e) => onChange({ ...draft, [name]: e.target.value })}
        onBlur={commit}
        onKeyDown={onKeyDown}
      />
    </label>
  );
  return (
    <div className="set-fields">
      {field("reps", "Reps", "numeric", "0")}
      {field("weight", "Weight", "decimal", "0")}
      <label className="set-field set-field-unit">
        <span className="set-field-caption">Unit</span>
        <select
          aria-label={`${label} unit`}
          value={draft.unit}
          onChange={(e) => {
            const next = { ...draft, unit: e.target.value as Unit };
            onChange(next);
            onCommit?.(next);
          }}
        >
          <option value="kg">kg</option>
          <option value="lb">lb</option>
        </select>
      </label>
      {field("rpe", "RPE", "decimal", "–")}
    </div>
  );
}
