// One set's inputs: reps and weight with steppers, unit, RPE. Controlled; `onCommit` fires when
// the person is done with a field (leaves it, presses Enter, taps a stepper or picks a unit), so
// an editor can save once per edit rather than once per keystroke. A number field selects its
// content when it gets focus, so typing replaces the value (7 then 8 is 8, never 87).
import { useRef, type FocusEvent, type KeyboardEvent, type MouseEvent } from "react";
import { round } from "./gym/training-history.js";
import { toNumber, type SetDraft, type Unit } from "./workout-drafts.js";

interface Props {
  draft: SetDraft;
  /** "Squat set 2": prefixes every field's accessible name. */
  label: string;
  /** What one tap of the weight stepper adds or takes, in the set's unit. */
  weightStep: number;
  onChange: (draft: SetDraft) => void;
  onCommit?: (draft: SetDraft) => void;
}

type NumberField = "reps" | "weight" | "rpe";

export function SetFields({ draft, label, weightStep, onChange, onCommit }: Props) {
  // Set on focus, so the mouseup of the same tap does not put a caret into the selection.
  const justFocused = useRef(false);
  const commit = () => onCommit?.(draft);
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "Enter" && onCommit) {
      event.preventDefault();
      commit();
    }
  };
  const onFocus = (event: FocusEvent<HTMLInputElement>) => {
    justFocused.current = true;
    event.currentTarget.select();
  };
  const onMouseUp = (event: MouseEvent<HTMLInputElement>) => {
    if (justFocused.current) event.preventDefault();
    justFocused.current = false;
  };
  const step = (name: "reps" | "weight", by: number) => {
    const now = toNumber(draft[name]);
    const base = Number.isFinite(now) ? now : 0;
    const next = { ...draft, [name]: String(Math.max(0, name === "reps" ? Math.round(base + by) : round(base + by, Math.abs(by) / 100))) };
    onChange(next);
    onCommit?.(next);
  };
  const input = (name: NumberField, mode: "numeric" | "decimal", placeholder: string) => (
    <input
      aria-label={`${label} ${name === "rpe" ? "RPE" : name}`}
      inputMode={mode}
      autoComplete="off"
      placeholder={placeholder}
      value={draft[name]}
      onChange={(e) => onChange({ ...draft, [name]: e.target.value })}
      onFocus={onFocus}
      onMouseUp={onMouseUp}
      onBlur={commit}
      onKeyDown={onKeyDown}
    />
  );
  const stepper = (name: "reps" | "weight", text: string, by: number, less: string, more: string) => (
    <div className={`set-field set-field-${name}`}>
      <span className="set-field-caption" aria-hidden="true">
        {text}
      </span>
      <div className="stepper">
        <button type="button" className="stepper-button" aria-label={`${less}, ${label}`} onClick={() => step(name, -by)}>
          −
        </button>
        {input(name, name === "reps" ? "numeric" : "decimal", "0")}
        <button type="button" className="stepper-button" aria-label={`${more}, ${label}`} onClick={() => step(name, by)}>
          +
        </button>
      </div>
    </div>
  );
  return (
    <div className="set-fields">
      {stepper("reps", "Reps", 1, "One rep fewer", "One rep more")}
      {stepper("weight", "Weight", weightStep, `${weightStep} ${draft.unit} less`, `${weightStep} ${draft.unit} more`)}
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
      <label className="set-field set-field-rpe">
        <span className="set-field-caption">RPE</span>
        {input("rpe", "decimal", "–")}
      </label>
    </div>
  );
}
