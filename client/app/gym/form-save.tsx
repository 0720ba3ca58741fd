// What the gym's forms (profile, recovery day, progression) share: the state of a save, the
// words for a value the schema refused, and the alert and status lines under the fields.
import type { ZodError } from "zod";

export interface SaveState {
  saving: boolean;
  message: string | null;
  error: string | null;
}

export const SAVE_IDLE: SaveState = { saving: false, message: null, error: null };

/** The schema's first complaint, named by the field's label as the person reads it. */
export function fieldProblem(error: ZodError, labels: Record<string, string>): string {
  const issue = error.issues[0];
  return `${labels[String(issue?.path[0])] ?? "A value"}: ${issue?.message.toLowerCase() ?? "not valid"}`;
}

/** The refusal as an alert, and the outcome where screen readers hear it. */
export function SaveOutcome({ state }: { state: SaveState }) {
  return (
    <>
      {state.error && (
        <p className="form-error" role="alert">
          {state.error}
        </p>
      )}
      <p className="hint" role="status">
        {state.message}
      </p>
    </>
  );
}
