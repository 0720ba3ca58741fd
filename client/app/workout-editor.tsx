// A stored workout, opened: its exercises and sets, edited in place. Each edit is one
// editWorkout(); while one is being written the badge says "Saving…", and only once it resolved
// does it say "Saved on this device" (or, online, "Syncing…" then "Synced"). A conflict on it
// leads to the review screen; a deleted one offers back what the delete took, if anything.
// Each set shows what it was last session; a removed set or exercise can be brought back with
// Undo; "Finish workout" records when it ended and syncs it at once.
import { useEffect, useState } from "react";
import type { EntityDocument, WorkoutExercise, WorkoutSet } from "../core/index.js";
import { formatDate } from "./dates.js";
import type { AppDevice } from "./device/app-device.js";
import type { SetValues, WorkoutEdit } from "./device/workout-edit.js";
import { ExerciseEditor } from "./exercise-editor.js";
import { notOpened, notSaved, refusalInWords } from "./failure-words.js";
import { ExercisePicker } from "./gym/exercise-picker.js";
import { exerciseToLog } from "./gym/plan-workout.js";
import { startRest } from "./gym/rest-timer.js";
import { RestTimerBar } from "./gym/rest-timer-bar.js";
import { weightStep, useTrainingSettings } from "./gym/profile-settings.js";
import { previousSets } from "./gym/training-history.js";
import { usePastWorkouts } from "./gym/use-past-workouts.js";
import { SyncBadge } from "./sync-badge.js";
import { useDeviceVersion } from "./use-device-version.js";
import { navigate, routeHref } from "./use-route.js";

export function WorkoutEditor({ device, id }: { device: AppDevice; id: string }) {
  const version = useDeviceVersion(device);
  // undefined: loading; null: not on this device.
  const [doc, setDoc] = useState<EntityDocument<"workout"> | null | undefined>(undefined);
  const [heads, setHeads] = useState<string[]>([]);
  const [saving, setSaving] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [undo, setUndo] = useState<{ message: string; edit: WorkoutEdit } | null>(null);
  const settings = useTrainingSettings(device);
  const past = usePastWorkouts(device);

  useEffect(() => {
    let current = true;
    device.read<"workout">(id).then(
      (found) => {
        if (!current) return;
        setDoc(found?.doc ?? null);
        setHeads(found?.heads ?? []);
      },
      (err: unknown) => current && setError(notOpened(err, "workout")),
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
  const previousOf = (name: string) => (past ? previousSets(past, name, doc.payload.startedAt, id) : undefined);

  const addExercise = (name: string) => save({ kind: "add_exercise", exercise: exerciseToLog(name, previousOf(name)) });
  const removeWithUndo = async (edit: WorkoutEdit, message: string, restore: WorkoutEdit) => {
    if (await save(edit)) setUndo({ message, edit: restore });
  };
  const removeSet = (exercise: WorkoutExercise, set: WorkoutSet, index: number) =>
    void removeWithUndo({ kind: "remove_set", exerciseId: exercise.id, setId: set.id }, `${exercise.name} set ${index + 1} removed`, {
      kind: "restore_set",
      exerciseId: exercise.id,
      set,
      index,
    });
  const removeExercise = (exercise: WorkoutExercise, index: number) =>
    void removeWithUndo({ kind: "remove_exercise", exerciseId: exercise.id }, `${exercise.name} removed`, { kind: "restore_exercise", exercise, index });
  const undoRemoval = async () => {
    if (undo && (await save(undo.edit))) setUndo(null);
  };
  const setDone = async (exercise: WorkoutExercise, setId: string, completed: boolean, values: SetValues | undefined) => {
    const saved = await save({ kind: "set_done", exerciseId: exercise.id, setId, completed, ...(values ? { values } : {}) });
    // A set checked off starts the rest before the next one.
    if (saved && completed) startRest(settings.restSeconds, `${exercise.name} set ${exercise.sets.findIndex((s) => s.id === setId) + 1}`);
    return saved;
  };
  const finish = () => void busy(() => device.completeWorkout(id, Date.now()), (err) => notSaved(err, "Not finished"));

  const remove = async () => {
    if (!window.confirm(`Delete "${doc.payload.title}"?`)) return;
    // On what the screen showed: a set that arrived meanwhile is kept in a record, restorable.
    if (await busy(() => device.delete(id, heads), (err) => notSaved(err, "Not deleted"))) navigate({ screen: "list" });
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
          <SyncBadge state={saving > 0 ? "saving" : state} live />
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
      {doc.payload.exercises.map((exercise, index) => (
        <ExerciseEditor
          key={exercise.id}
          exercise={exercise}
          heads={heads}
          previous={previousOf(exercise.name)}
          weightStep={(unit) => weightStep(settings, unit)}
          defaultUnit={settings.unit}
          position={{ index, count: doc.payload.exercises.length }}
          onSaveSet={(setId, values, basedOn) => saveSet(exercise.id, setId, values, basedOn)}
          onSetDone={(setId, completed, values) => setDone(exercise, setId, completed, values)}
          onAddSet={(set) => addSet(exercise.id, set)}
          onRemoveSet={(set, i) => removeSet(exercise, set, i)}
          onRemove={() => removeExercise(exercise, index)}
          onMove={(to) => void save({ kind: "move_exercise", exerciseId: exercise.id, index: to })}
        />
      ))}
      <RestTimerBar />
      <div className="undo-bar" role="status" aria-live="polite" data-testid="undo-bar">
        {undo && (
          <>
            <span>{undo.message}</span>
            <button type="button" className="button button-secondary" onClick={() => void undoRemoval()}>
              Undo
            </button>
          </>
        )}
      </div>
      <ExercisePicker device={device} past={past} onPick={addExercise} />
      {doc.payload.completedAt === null ? (
        <button type="button" className="button button-primary button-block" onClick={finish}>
          Finish workout
        </button>
      ) : (
        <p className="finished" data-testid="finished">
          Finished {formatDate(doc.payload.completedAt)}
        </p>
      )}
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
