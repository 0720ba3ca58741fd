// "+ Add exercise" in a workout: search the library by name or muscle group, the exercises done
// recently first; a name the library does not have is added as a custom exercise.
import { useMemo, useState } from "react";
import type { AppDevice } from "../device/app-device.js";
import { exerciseChoices } from "./exercise-search.js";
import { recentExerciseNames, sameExercise, type PastWorkout } from "./training-history.js";
import { useExerciseLibrary } from "./use-exercise-library.js";

interface Props {
  device: AppDevice;
  past: readonly PastWorkout[] | undefined;
  /** Resolves true once the exercise is in the workout. */
  onPick: (name: string) => Promise<boolean>;
}

export function ExercisePicker({ device, past, onPick }: Props) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  const library = useExerciseLibrary(device);
  const recent = useMemo(() => (past ? recentExerciseNames(past) : []), [past]);

  const close = () => {
    setOpen(false);
    setQuery("");
  };
  const pick = async (name: string) => {
    if (await onPick(name)) close();
  };

  if (!open) {
    return (
      <button type="button" className="button button-secondary button-block" onClick={() => setOpen(true)}>
        + Add exercise
      </button>
    );
  }
  const choices = exerciseChoices(query, recent, library);
  const custom = query.trim();
  return (
    <section className="card picker" aria-label="Add an exercise">
      <input
        type="search"
        aria-label="Search exercises"
        placeholder="Name or muscle group"
        // The picker opens to be typed into.
        autoFocus
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {choices.length === 0 ? (
        <p className="empty">No exercise matches.</p>
      ) : (
        <ul className="picker-list" aria-label="Exercises">
          {choices.map((choice) => (
            <li key={choice.name}>
              <button type="button" className="picker-choice" data-testid="exercise-choice" onClick={() => void pick(choice.name)}>
                <span className="picker-name">{choice.name}</span>
                <span className="picker-groups">
                  {choice.recent ? "Recent" : ""}
                  {choice.recent && choice.muscleGroups.length > 0 ? " · " : ""}
                  {choice.muscleGroups.join(", ")}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="form-actions">
        {custom && !choices.some((c) => sameExercise(c.name, custom)) && (
          <button type="button" className="button button-secondary" onClick={() => void pick(custom)}>
            Add “{custom}”
          </button>
        )}
        <button type="button" className="button button-quiet" onClick={close}>
          Cancel
        </button>
      </div>
    </section>
  );
}
