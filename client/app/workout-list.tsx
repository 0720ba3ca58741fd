// The person's workouts, newest first, each with its sync state. Draws from the client's
// per-entity summaries only: no document is loaded to show the list.
import type { IronFlowClient } from "../core/index.js";
import { formatDate } from "./dates.js";
import { SyncBadge } from "./sync-badge.js";
import { useClientVersion } from "./use-client-version.js";
import { routeHref } from "./use-route.js";

export function WorkoutList({ client }: { client: IronFlowClient }) {
  useClientVersion(client);
  const workouts = client.list("workout");

  if (workouts.length === 0) {
    return (
      <p className="empty" data-testid="empty-list">
        No workouts yet. Log your first one.
      </p>
    );
  }
  return (
    <ul className="workout-list" aria-label="Workouts">
      {workouts.map((w) => (
        <li key={w.id}>
          <a className="workout-item" href={routeHref({ screen: "workout", id: w.id })} data-testid="workout-item" data-id={w.id}>
            <span className="workout-item-main">
              <span className="workout-item-title">{w.title}</span>
              <span className="workout-item-date">{formatDate(w.date)}</span>
            </span>
            <SyncBadge state={w.syncState} />
          </a>
        </li>
      ))}
    </ul>
  );
}
