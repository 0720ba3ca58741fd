// A stored workout, opened: its exercises and sets, edited in place. Each edit is one update();
// while one is being written the badge says "Saving…", and only once it resolved does it say
// "Saved on this device" (or, online, "Syncing…" then "Synced").
import { useEffect, useState, type FormEvent } from "react";
import type { EntityDocument, IronFlowClient, Payloads, WorkoutSet } from "../core/index.js";
import { formatDate } from "./dates.js";
import { ExerciseEditor } from "./exercise-editor.js";
import { SyncBadge } from "./sync-badge.js";
import { useClientVersion } from "./use-client-version.js";
import { navigate } from "./use-route.js";
import { newId } from "./workout-drafts.js";

type Workout = Payloads["workout"];

export function WorkoutEditor({ client, id }: { client: IronFlowClient; id: string }) {
  const version = useClientVersion(client);
  // undefined: loading; null: not on this device.
  const [doc, setDoc] = useState<EntityDocument<"workout"> | null | undefined>(undefined);
  const [heads, setHeads] = useState<string[]>([]);
  const [saving, setSaving] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [newExercise, setNewExercise] = useState("");

  useEffect(() => {
    let current = true;
    client.read<"workout">(id).then(
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
  }, [client, id, version]);

  const save = async (mutate: (workout: Workout) => void, basedOn?: string[]): Promise<boolean> => {
    setSaving((n) => n + 1);
    setError(null);
    try {
      await client.update<"workout">(id, mutate, { basedOn });
      return true;
    } catch (err) {
      setError(`Not saved: ${(err as Error).message}`);
      return false;
    } finally {
      setSaving((n) => n - 1);
    }
  };

  if (doc === undefined) return error ? <p className="form-error">{error}</p> : <p className="empty">Opening…</p>;
  if (doc === null || doc.deleted) {
    return (
      <div className="card">
        <p>{doc ? "This workout was deleted." : "This workout is not on this device."}</p>
        <a className="button button-secondary" href="#/">
          Back to workouts
        </a>
      </div>
    );
  }

  // Every field as typed: on the document the person saw, the ones they did not touch are
  // unchanged, so only what they typed is written.
  const saveSet = (exerciseId: string, setId: string, next: WorkoutSet, basedOn: string[]) =>
    save((w) => {
      const set = w.exercises.find((e) => e.id === exerciseId)?.sets.find((s) => s.id === setId);
      if (set) Object.assign(set, { reps: next.reps, weight: next.weight, unit: next.unit, rpe: next.rpe });
    }, basedOn);

  const addSet = (exerciseId: string, set: WorkoutSet) =>
    save((w) => {
      w.exercises.find((e) => e.id === exerciseId)?.sets.push(set);
    });

  const addExercise = async (event: FormEvent) => {
    event.preventDefault();
    const name = newExercise.trim();
    if (!name) return;
    if (await save((w) => void w.exercises.push({ id: newId(), name, sets: [] }))) setNewExercise("");
  };

  const remove = async () => {
    if (!window.confirm(`Delete "${doc.payload.title}"?`)) return;
    setSaving((n) => n + 1);
    try {
      await client.delete(id);
      navigate({ screen: "list" });
    } catch (err) {
      setError(`Not deleted: ${(err as Error).message}`);
      setSaving((n) => n - 1);
    }
  };

  const state = client.syncState(id);
  const problem = state === "needs_attention" ? client.queueItems().find((item) => item.entityId === id)?.lastError : undefined;

  return (
    <article className="workout" aria-label={doc.payload.title}>
      <header className="workout-head">
        <a className="back" href="#/">
          ← Workouts
        </a>
        <h2 data-testid="workout-title">{doc.payload.title}</h2>
        <div className="workout-meta">
          <span>{formatDate(doc.payload.startedAt)}</span>
          <SyncBadge state={saving > 0 ? "saving" : state} />
        </div>
        {problem && (
          <p className="form-error" data-testid="sync-problem">
            The sync server refused this workout ({problem.code}): {problem.message}
          </p>
        )}
      </header>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {doc.payload.exercises.map((exercise) => (
        <ExerciseEditor
          key={exercise.id}
          exercise={exercise}
          heads={heads}
          onSaveSet={(setId, next, basedOn) => saveSet(exercise.id, setId, next, basedOn)}
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
