// A stored workout, opened: its exercises and sets, edited in place. Each edit is one
// editWorkout(); while one is being written the badge says "Saving…", and only once it resolved
// does it say "Saved on this device" (or, online, "Syncing…" then "Synced"). A conflict on it
// leads to the review screen; a deleted one offers back what the delete took, if anything.
import { useEffect, useState, type SyntheticEvent } from "react";
import type { EntityDocument, WorkoutSet } from "../core/index.js";
import { formatDate } from "./dates.js";
import type { AppDevice } from "./device/app-device.js";
import type { SetValues, WorkoutEdit } from "./device/workout-edit.js";
import { ExerciseEditor } from "./exercise-editor.js";
import { notSaved, refusalInWords } from "./failure-words.js";
import { SyncBadge } from "./sync-badge.js";
import { useDeviceVersion } from "./use-device-version.js";
import { navigate, routeHref } from "./use-route.js";
import { newId } from "./workout-drafts.js";

export function WorkoutEditor({ device, id }: { device: AppDevice; id: string }) {
  const version = useDeviceVersion(device);
  // undefined: loading; null: not on this device.
  const [doc, setDoc] = useState<EntityDocument<"workout"> | null | undefined>(undefined);
  const [heads, setHeads] = useState<string[]>([]);
  const [saving, setSaving] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [newExercise, setNewExercise] = useState("");

  useEffect(() => {
    let current = true;
    device.read<"workout">(id).then(
      (found) => {
        if (!current) return;
        setDoc(found?.doc ?? null);
        setHeads(found?.heads ?? []);
      },
      (err: unknown) => current && setError(`Could not open this workout: ${(err as Error).message}`),
    );
    return () => {
      current = false;
    };
  }, [device, id, version]);

  const busy = async (work: () => Promise<void>, failure: (err: unknown) => string): Promise<boolean> => {
    setSaving((n) => n + 1);
    setError(null);
    try {
      await work();
      return true;
    } catch (err) {
      setError(failure(err));
      return false;
    } finally {
      setSaving((n) => n - 1);
    }
  };
  const save = (edit: WorkoutEdit, basedOn?: string[]) => busy(() => device.editWorkout(id, edit, basedOn), (err) => notSaved(err));

  if (doc === undefined) return error ? <p className="form-error">{error}</p> : <p className="empty">Opening…</p>;
  if (doc === null || doc.deleted) return <GoneWorkout device={device} id={id} deleted={doc !== null} />;

  const saveSet = (exerciseId: string, setId: string, values: SetValues, basedOn: string[]) =>
    save({ kind: "set_values", exerciseId, setId, values }, basedOn);
  const addSet = (exerciseId: string, set: WorkoutSet) => save({ kind: "add_set", exerciseId, set });

  const addExercise = async (event: SyntheticEvent) => {
    event.preventDefault();
    const name = newExercise.trim();
    if (!name) return;
    if (await save({ kind: "add_exercise", exercise: { id: newId(), name, sets: [] } })) setNewExercise("");
  };

  const remove = async () => {
    if (!window.confirm(`Delete "${doc.payload.title}"?`)) return;
    if (await busy(() => device.delete(id), (err) => notSaved(err, "Not deleted"))) navigate({ screen: "list" });
  };

  const state = device.syncState(id);
  const problem = state === "needs_attention" ? device.queueItems().find((item) => item.entityId === id)?.lastError : undefined;

  return (
    <article className="workout" aria-labelledby="workout-title">
      <header className="workout-head">
        <a className="back" href="#/">
          ← Workouts
        </a>
        <h2 id="workout-title" data-testid="workout-title">
          {doc.payload.title}
        </h2>
        <div className="workout-meta">
          <span>{formatDate(doc.payload.startedAt)}</span>
          <SyncBadge state={saving > 0 ? "saving" : state} />
        </div>
        {state === "conflict" && (
          <div className="prompt prompt-conflict" data-testid="workout-conflict">
            <p>This workout was also changed on another device. Both versions are kept until you choose.</p>
            <a className="button button-primary" href={routeHref({ screen: "conflict", id })}>
              Review both versions
            </a>
          </div>
        )}
        {problem && (
          <p className="form-error" data-testid="sync-problem">
            {refusalInWords(problem)} <a href={routeHref({ screen: "refused" })}>Retry or discard</a>
          </p>
        )}
      </header>
      {error && (
        <p className="form-error" role="alert" data-testid="save-error">
          {error}
        </p>
      )}
      {doc.payload.exercises.map((exercise) => (
        <ExerciseEditor
          key={exercise.id}
          exercise={exercise}
          heads={heads}
          onSaveSet={(setId, values, basedOn) => saveSet(exercise.id, setId, values, basedOn)}
          onAddSet={(set) => addSet(exercise.id, set)}
        />
      ))}
      <form className="card add-exercise" onSubmit={(e) => void addExercise(e)}>
        <input aria-label="New exercise name" placeholder="Add an exercise" value={newExercise} onChange={(e) => setNewExercise(e.target.value)} />
        <button type="submit" className="button button-secondary">
          Add exercise
        </button>
      </form>
      <button type="button" className="button button-danger" onClick={() => void remove()}>
        Delete workout
      </button>
    </article>
  );
}

/** A workout deleted (here or on another device), or never here; what a delete took can come back. */
function GoneWorkout({ device, id, deleted }: { device: AppDevice; id: string; deleted: boolean }) {
  const [problem, setProblem] = useState<string | null>(null);
  const lost = device.resolutions().find((r) => r.entityId === id && r.kind === "edit_lost_to_delete" && r.restorable);
  return (
    <div className="card">
      <p>{deleted ? "This workout was deleted." : "This workout is not on this device."}</p>
      {lost && (
        <>
          <p>
            An edit from {lost.losing?.name ?? "another device"} was lost to the delete. Restoring brings the workout back with it.
          </p>
          <button
            type="button"
            className="button button-primary"
            onClick={() => void device.restoreResolution(lost.id).catch((err: unknown) => setProblem(notSaved(err, "Not restored")))}
          >
            Restore
          </button>
        </>
      )}
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <a className="button button-secondary" href="#/">
        Back to workouts
      </a>
    </div>
  );
}
