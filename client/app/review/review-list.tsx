// Everything waiting for the person's choice: items changed on two devices, and workouts logged
// twice for the same time.
import { formatMoment } from "../dates.js";
import type { AppDevice } from "../device/app-device.js";
import { useDeviceVersion } from "../use-device-version.js";
import { routeHref } from "../use-route.js";

export function ReviewList({ device }: { device: AppDevice }) {
  useDeviceVersion(device);
  const conflicts = device
    .queueItems()
    .flatMap((item) => (item.status === "conflict" && item.conflict ? [{ ...item, conflict: item.conflict }] : []));
  const duplicates = device.duplicates();
  const titles = new Map(device.list(undefined, { includeDeleted: true }).map((e) => [e.id, e.title]));

  return (
    <section className="review-list" aria-labelledby="review-heading">
      <h2 id="review-heading">Review</h2>
      {conflicts.length === 0 && duplicates.length === 0 && <p className="empty">Nothing waits for your choice.</p>}
      {conflicts.length > 0 && (
        <>
          <h3>Changed on two devices</h3>
          <ul className="plain-list">
            {conflicts.map((item) => (
              <li key={item.entityId} className="card row-card" data-testid="conflict-item">
                <div>
                  <strong>{titles.get(item.entityId) ?? item.entityType}</strong>
                  <p className="hint">
                    This device and {item.conflict.serverDeviceName} ({formatMoment(item.conflict.serverChangedAt)})
                  </p>
                </div>
                <a className="button button-primary" href={routeHref({ screen: "conflict", id: item.entityId })}>
                  Choose
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      {duplicates.length > 0 && (
        <>
          <h3>Possible duplicates</h3>
          <ul className="plain-list">
            {duplicates.map((flag) => (
              <li key={flag.id} className="card row-card" data-testid="duplicate-item">
                <div>
                  <strong>{flag.entityIds.map((id) => titles.get(id) ?? "Workout").join(" and ")}</strong>
                  <p className="hint">Logged for the same time</p>
                </div>
                <a className="button button-primary" href={routeHref({ screen: "duplicate", id: flag.id })}>
                  Compare
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
