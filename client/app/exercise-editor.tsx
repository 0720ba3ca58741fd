// One exercise of a stored workout: its name linking to its history, its sets, editable in place and checked off as done, what
// each set was last session, adding a set (a copy of the last one), removing a set or the whole
// exercise, and moving it up or down the workout.
import type { WorkoutExercise, WorkoutSet } from "../core/index.js";
import type { SetValues } from "./device/workout-edit.js";
import { EditableSet } from "./editable-set.js";
import { routeHref } from "./use-route.js";
import { newId } from "./workout-drafts.js";

interface Props {
  exercise: WorkoutExercise;
  /** Heads of the document on screen. */
  heads: string[];
  /** Its sets in the last session that had it. */
  previous: WorkoutSet[] | undefined;
  weightStep: (unit: WorkoutSet["unit"]) => number;
  /** The unit of a first set when nothing says another. */
  defaultUnit: WorkoutSet["unit"];
  /** Where it is in the workout, for the move buttons. */
  position: { index: number; count: number };
  onSaveSet: (setId: string, values: SetValues, basedOn: string[]) => Promise<boolean>;
  onSetDone: (setId: string, completed: boolean, values: SetValues | undefined) => Promise<boolean>;
  onAddSet: (set: WorkoutSet) => Promise<boolean>;
  onRemoveSet: (set: WorkoutSet, index: number) => void;
  onRemove: () => void;
  onMove: (index: number) => void;
}

/** The next set: "same again" copies the last one; a first set repeats last session's first. */
export function nextStoredSet(sets: readonly WorkoutSet[], previous: readonly WorkoutSet[] | undefined, unit: WorkoutSet["unit"]): WorkoutSet {
  const model = sets.at(-1) ?? previous?.[sets.length] ?? previous?.at(-1);
  return { id: newId(), reps: model?.reps ?? 0, weight: model?.weight ?? 0, unit: model?.unit ?? unit, rpe: model?.rpe ?? null, completed: false };
}

export function ExerciseEditor({ exercise, heads, previous, weightStep, defaultUnit, position, onSaveSet, onSetDone, onAddSet, onRemoveSet, onRemove, onMove }: Props) {
  const numberOf = (setId: string) => {
    const index = exercise.sets.findIndex((s) => s.id === setId);
    return index < 0 ? undefined : index + 1;
  };
  return (
    <section className="card exercise" data-testid="exercise" aria-label={exercise.name}>
      <div className="exercise-head">
        <h3 className="exercise-title">
          {/* The name is the way to its history: last sessions, best set, estimated 1RM. */}
          <a className="link-button" href={routeHref({ screen: "exercise", name: exercise.name })}>
            {exercise.name}
          </a>
        </h3>
        <div className="exercise-tools">
          <button
            type="button"
            className="icon-button"
            aria-label={`Move ${exercise.name} up`}
            disabled={position.index === 0}
            onClick={() => onMove(position.index - 1)}
          >
            ↑
          </button>
          <button
            type="button"
            className="icon-button"
            aria-label={`Move ${exercise.name} down`}
            disabled={position.index === position.count - 1}
            onClick={() => onMove(position.index + 1)}
          >
            ↓
          </button>
          <button type="button" className="icon-button" aria-label={`Remove ${exercise.name}`} onClick={onRemove}>
            ×
          </button>
        </div>
      </div>
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
              previous={previous?.[i]}
              weightStep={weightStep}
              keptFromNumber={set.keptFrom ? numberOf(set.keptFrom.setId) : undefined}
              onSave={(values, basedOn) => onSaveSet(set.id, values, basedOn)}
              onDone={(completed, values) => onSetDone(set.id, completed, values)}
              onRemove={() => onRemoveSet(set, i)}
            />
          ))}
        </ol>
      )}
      <button
        type="button"
        className="button button-secondary"
        aria-label={`Add set to ${exercise.name}`}
        onClick={() => void onAddSet(nextStoredSet(exercise.sets, previous, defaultUnit))}
      >
        + Add set
      </button>
    </section>
  );
}
