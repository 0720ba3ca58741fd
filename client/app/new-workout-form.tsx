// Logging a new workout: a title and exercises with their sets. What is typed is kept as a draft
// at every keystroke (new-workout-draft.ts). The workout's own page opens only once create() has
// resolved, that is once it is in this device's storage; a save that fails (a full disk) says so
// at once and leaves everything typed on screen.
import { useState, type SyntheticEvent } from "react";
import { defaultTitle } from "./dates.js";
import type { AppDevice } from "./device/app-device.js";
import { notSaved } from "./failure-words.js";
import { clearDraft, isBlank, loadDraft, saveDraft, type NewWorkoutDraft } from "./new-workout-draft.js";
import { useTrainingSettings, weightStep } from "./gym/profile-settings.js";
import { SetFields } from "./set-fields.js";
import { navigate } from "./use-route.js";
import { emptyExercise, nextSet, parseWorkout, type ExerciseDraft } from "./workout-drafts.js";

export function NewWorkoutForm({ device, userId }: { device: AppDevice; userId: string }) {
  const [draft, setDraft] = useState<NewWorkoutDraft>(() => loadDraft(userId) ?? { title: "", exercises: [emptyExercise()], startedAt: Date.now() });
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const settings = useTrainingSettings(device);
  const { title, exercises } = draft;

  const update = (edit: (current: NewWorkoutDraft) => Partial<NewWorkoutDraft>) =>
    setDraft((current) => {
      const updated = { ...current, ...edit(current) };
      // The workout starts when the person starts typing it, not when the form was first shown.
      if (isBlank(current)) updated.startedAt = Date.now();
      saveDraft(userId, updated);
      return updated;
    });
  const setExercises = (edit: (all: ExerciseDraft[]) => ExerciseDraft[]) => update((current) => ({ exercises: edit(current.exercises) }));
  const changeExercise = (index: number, edit: (e: ExerciseDraft) => ExerciseDraft) => setExercises((all) => all.map((e, i) => (i === index ? edit(e) : e)));

  const submit = async (event: SyntheticEvent) => {
    event.preventDefault();
    const parsed = parseWorkout(title || defaultTitle(), exercises, draft.startedAt);
    if (!parsed.ok) {
      setError(parsed.message);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const id = await device.create("workout", parsed.value);
      clearDraft(userId);
      navigate({ screen: "workout", id });
    } catch (err) {
      setError(notSaved(err));
      setSaving(false);
    }
  };

  const discard = () => {
    if (!window.confirm("Discard this unsaved workout?")) return;
    clearDraft(userId);
    navigate({ screen: "list" });
  };

  return (
    <form className="card workout-form" onSubmit={(e) => void submit(e)} aria-label="New workout">
      <h2>New workout</h2>
      <p className="hint">Kept on this device as a draft as you type, until you save it.</p>
      <label className="field">
        <span>Workout title</span>
        <input placeholder={defaultTitle()} value={title} onChange={(e) => {
          const value = e.target.value;
          update(() => ({ title: value }));
        }} />
      </label>

      {exercises.map((exercise, i) => (
        <fieldset className="exercise" key={exercise.key} data-testid="exercise-draft">
          <legend className="visually-hidden">Exercise {i + 1}</legend>
          <div className="exercise-head">
            <input
              className="exercise-name"
              aria-label={`Exercise ${i + 1} name`}
              placeholder="Exercise name"
              value={exercise.name}
              onChange={(e) => {
                const name = e.target.value;
                changeExercise(i, (x) => ({ ...x, name }));
              }}
            />
            {exercises.length > 1 && (
              <button
                type="button"
                className="button button-quiet"
                aria-label={`Remove exercise ${i + 1}`}
                onClick={() => setExercises((all) => all.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            )}
          </div>
          <ol className="sets">
            {exercise.sets.map((set, j) => (
              <li key={j} className="set-row" data-testid="set-row">
                <span className="set-number">{j + 1}</span>
                <SetFields
                  draft={set}
                  label={`Exercise ${i + 1} set ${j + 1}`}
                  weightStep={weightStep(settings, set.unit)}
                  onChange={(next) => changeExercise(i, (x) => ({ ...x, sets: x.sets.map((s, k) => (k === j ? next : s)) }))}
                />
                {exercise.sets.length > 1 && (
                  <button
                    type="button"
                    className="button button-quiet"
                    aria-label={`Remove exercise ${i + 1} set ${j + 1}`}
                    onClick={() => changeExercise(i, (x) => ({ ...x, sets: x.sets.filter((_, k) => k !== j) }))}
                  >
                    ×
                  </button>
                )}
              </li>
            ))}
          </ol>
          <button
            type="button"
            className="button button-secondary"
            aria-label={`Add set to exercise ${i + 1}`}
            onClick={() => changeExercise(i, (x) => ({ ...x, sets: [...x.sets, nextSet(x.sets.at(-1))] }))}
          >
            + Add set
          </button>
        </fieldset>
      ))}

      <button type="button" className="button button-secondary" onClick={() => setExercises((all) => [...all, emptyExercise()])}>
        + Add exercise
      </button>

      {error && (
        <p className="form-error" role="alert" data-testid="save-error">
          {error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="button button-quiet" onClick={discard}>
          Discard
        </button>
        <a className="button button-quiet" href="#/">
          Cancel
        </a>
        <button type="submit" className="button button-primary" disabled={saving}>
          {saving ? "Saving…" : "Save workout"}
        </button>
      </div>
    </form>
  );
}
