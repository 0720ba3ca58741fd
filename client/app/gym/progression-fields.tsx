// The target's fields of a progression form: weight, sets, reps and the step, as typed text (the
// form checks them on save), and the unit when a new progression is set up.
import type { ProgressionDraft } from "./progression-plan.js";

interface Props {
  draft: ProgressionDraft;
  onChange: (draft: ProgressionDraft) => void;
  /** Only a new progression picks its unit; an existing one keeps its own. */
  withUnit?: boolean;
}

export function ProgressionFields({ draft, onChange, withUnit = false }: Props) {
  const field = (key: "targetWeight" | "targetSets" | "targetReps" | "increment", label: string, mode: "decimal" | "numeric") => (
    <label className="field">
      <span>{label}</span>
      <input inputMode={mode} value={draft[key]} onFocus={(e) => e.target.select()} onChange={(e) => onChange({ ...draft, [key]: e.target.value })} />
    </label>
  );
  return (
    <div className="progression-fields">
      {field("targetWeight", `Target weight (${draft.unit})`, "decimal")}
      {field("targetSets", "Sets", "numeric")}
      {field("targetReps", "Reps", "numeric")}
      {field("increment", `Step when hit (${draft.unit})`, "decimal")}
      {withUnit && (
        <label className="field">
          <span>Unit</span>
          <select value={draft.unit} onChange={(e) => onChange({ ...draft, unit: e.target.value === "lb" ? "lb" : "kg" })}>
            <option value="kg">kg</option>
            <option value="lb">lb</option>
          </select>
        </label>
      )}
    </div>
  );
}
