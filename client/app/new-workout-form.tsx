// Logging a new workout: a title and exercises with their sets. The workout's own page opens
// only once create() has resolved, that is once it is in this device's storage.
import { useState, type FormEvent } from "react";
import type { IronFlowClient } from "../core/index.js";
import { SetFields } from "./set-fields.js";
import { navigate } from "./use-route.js";
import { emptyExercise, nextSet, parseWorkout, type ExerciseDraft } from "./workout-drafts.js";

export function NewWorkoutForm({ client }: { client: IronFlowClient }) {
  const [title, setTitle] = useState("");
  const [exercises, setExercises] = useState<ExerciseDraft[]>(() => [emptyExercise()]);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const changeExercise = (index: number, change: (e: ExerciseDraft) => ExerciseDraft) =>
    setExercises((all) => all.map((e, i) => (i === index ? change(e) : e)));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseWorkout(title || defaultTitle(), exercises, Date.now());
    if (!parsed.ok) {
      setError(parsed.message);
      return;
    }
    setSaving(true);
    setError(null);
    try {
      const id = await client.create("workout", parsed.value);
      navigate({ screen: "workout", id });
    } catch (err) {
      setError(`Not saved: ${(err as Error).message}`);
      setSaving(false);
    }
  };

  return (
    <form className="card workout-form" onSubmit={(e) => void submit(e)} aria-label="New workout">
      <h2>New workout</h2>
      <label className="field">
        <span>Title</span>
        <input aria-label="Workout title" placeholder={defaultTitle()} value={title} onChange={(e) => setTitle(e.target.value)} />
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
              onChange={(e) => changeExercise(i, (x) => ({ ...x, name: e.target.value }))}
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
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="form-actions">
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

function defaultTitle(): string {
  return `Workout, ${new Date().toLocaleDateString(undefined, { weekday: "long" })}`;
}
