// One exercise of a stored workout: its sets, editable in place, and adding a set.
import type { WorkoutExercise, WorkoutSet } from "../core/index.js";
import type { SetValues } from "./device/workout-edit.js";
import { EditableSet } from "./editable-set.js";
import { newId } from "./workout-drafts.js";

interface Props {
  exercise: WorkoutExercise;
  /** Heads of the document on screen. */
  heads: string[];
  onSaveSet: (setId: string, values: SetValues, basedOn: string[]) => Promise<boolean>;
  onAddSet: (set: WorkoutSet) => Promise<boolean>;
}

export function ExerciseEditor({ exercise, heads, onSaveSet, onAddSet }: Props) {
  const addSet = () => {
    // "Same again" is the common next set: copy the last one.
    const last = exercise.sets.at(-1);
    void onAddSet({
      id: newId(),
      reps: last?.reps ?? 0,
      weight: last?.weight ?? 0,
      unit: last?.unit ?? "kg",
      rpe: last?.rpe ?? null,
      completed: true,
    });
  };
  const numberOf = (setId: string) => {
    const index = exercise.sets.findIndex((s) => s.id === setId);
    return index < 0 ? undefined : index + 1;
  };
  return (
    <section className="card exercise" data-testid="exercise" aria-label={exercise.name}>
      <h3 className="exercise-title">{exercise.name}</h3>
      {exercise.sets.length === 0 ? (
        <p className="empty">No sets yet.</p>
      ) : (
        <ol className="sets">
          {exercise.sets.map((set, i) => (
            <EditableSet
              key={set.id}
              set={set}
              number={i + 1}
              label={`${exercise.name} set ${i + 1}`}
              heads={heads}
              keptFromNumber={set.keptFrom ? numberOf(set.keptFrom.setId) : undefined}
              onSave={(values, basedOn) => onSaveSet(set.id, values, basedOn)}
            />
          ))}
        </ol>
      )}
      <button type="button" className="button button-secondary" aria-label={`Add set to ${exercise.name}`} onClick={addSet}>
        + Add set
      </button>
    </section>
  );
}
