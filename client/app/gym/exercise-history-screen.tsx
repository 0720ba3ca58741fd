// One exercise's history: its best set and estimated one-rep max over every session read, and its
// last sessions' sets, each linked to its workout. Figures from training-history.ts.
import type { AppDevice } from "../device/app-device.js";
import { formatDate } from "../dates.js";
import { routeHref } from "../use-route.js";
import { bestSet, estimateOneRepMax, exerciseSessions } from "./training-history.js";
import { usePastWorkouts } from "./use-past-workouts.js";

/** Sessions read for the page: months of a usual split. */
const HISTORY = 200;
/** Sessions listed; the best set counts all of them. */
const SHOWN = 10;

export function ExerciseHistoryScreen({ device, name }: { device: AppDevice; name: string }) {
  const workouts = usePastWorkouts(device, HISTORY);
  if (!workouts) return <p className="empty">Opening…</p>;
  const sessions = exerciseSessions(workouts, name);
  const best = bestSet(sessions.flatMap((s) => s.sets));
  return (
    <section className="card" aria-labelledby="exercise-history-title">
      <h2 id="exercise-history-title">{name}</h2>
      {sessions.length === 0 ? (
        <p className="empty">No sets of {name} logged yet.</p>
      ) : (
        <>
          <dl className="exercise-figures" data-testid="exercise-figures">
            <div>
              <dt>Best set</dt>
              <dd>{best ? `${best.reps} × ${best.weight} ${best.unit}` : "—"}</dd>
            </div>
            <div>
              <dt>Estimated 1RM</dt>
              <dd>{best ? `${estimateOneRepMax(best.weight, best.reps)} ${best.unit}` : "—"}</dd>
            </div>
          </dl>
          <h3>Last sessions</h3>
          <ol className="exercise-sessions">
            {sessions.slice(0, SHOWN).map((s) => (
              <li key={s.workoutId}>
                <a className="link-button" href={routeHref({ screen: "workout", id: s.workoutId })}>
                  {formatDate(s.startedAt)} · {s.title || "Workout"}
                </a>
                <p>{s.sets.map((set) => `${set.reps} × ${set.weight} ${set.unit}`).join(", ")}</p>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
