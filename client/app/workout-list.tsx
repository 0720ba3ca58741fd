// The person's workouts, newest first, each with its sync state, and the unsaved new workout if
// there is one. Draws from the per-entity summaries only: no document is loaded to show the list,
// and only the rows near the screen are drawn (workout-rows.tsx).
// A workout starts here: empty (exercises picked in the gym) or repeating the last one, its sets
// pre-filled as they were, so each is one tap to check off.
import { useState } from "react";
import { defaultTitle, formatDate } from "./dates.js";
import type { AppDevice } from "./device/app-device.js";
import { notSaved } from "./failure-words.js";
import { emptyWorkout, repeatWorkout } from "./gym/plan-workout.js";
import { clearDraft, useDraft } from "./new-workout-draft.js";
import { useDeviceVersion } from "./use-device-version.js";
import { navigate, routeHref } from "./use-route.js";
import { WorkoutRows } from "./workout-rows.js";

export function WorkoutList({ device, userId }: { device: AppDevice; userId: string }) {
  useDeviceVersion(device);
  const workouts = device.list("workout");
  const draft = useDraft(userId);
  const [starting, setStarting] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const last = workouts[0];

  const start = async (repeat: boolean) => {
    setStarting(true);
    setProblem(null);
    try {
      const from = repeat && last ? (await device.read<"workout">(last.id))?.doc.payload : undefined;
      const payload = from ? repeatWorkout(from, Date.now()) : emptyWorkout(defaultTitle(), Date.now());
      navigate({ screen: "workout", id: await device.create("workout", payload) });
    } catch (err) {
      setProblem(notSaved(err, "Not started"));
      setStarting(false);
    }
  };

  return (
    <>
      {draft ? (
        <section className="card draft" aria-label="Unsaved workout" data-testid="draft">
          <p>
            <strong>Not saved yet:</strong> {draft.title.trim() || "a new workout"}, started {formatDate(draft.startedAt)}.
          </p>
          <div className="form-actions">
            <button
              type="button"
              className="button button-quiet"
              onClick={() => {
                if (window.confirm("Discard this unsaved workout?")) clearDraft(userId);
              }}
            >
              Discard
            </button>
            <a className="button button-primary" href={routeHref({ screen: "new" })}>
              Continue
            </a>
          </div>
        </section>
      ) : (
        <a className="button button-primary button-block" href={routeHref({ screen: "new" })}>
          + New workout
        </a>
      )}
      <div className="start-actions">
        <button type="button" className="button button-primary" disabled={starting} onClick={() => void start(false)}>
          Start workout
        </button>
        {last && (
          <button type="button" className="button button-secondary" disabled={starting} onClick={() => void start(true)}>
            Repeat {last.title}
          </button>
        )}
      </div>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      {workouts.length === 0 ? (
        <p className="empty" data-testid="empty-list">
          No workouts yet. Log your first one.
        </p>
      ) : (
        <>
          <p className="hint list-count" data-testid="workout-count">
            {workouts.length === 1 ? "1 workout" : `${workouts.length} workouts`}
          </p>
          <WorkoutRows workouts={workouts} />
        </>
      )}
    </>
  );
}
