// Changes the sync server refused (validation, permission, a server behind this device). They
// stay on this device, are tried by no sync of their own, and are listed here with the reason
// in words until the person fixes, retries or discards them. "Sync now" tries them again too.
import { useState } from "react";
import type { SyncQueueItem } from "../../core/index.js";
import { formatMoment } from "../dates.js";
import type { AppDevice } from "../device/app-device.js";
import { notSaved, refusalInWords } from "../failure-words.js";
import { useDeviceVersion } from "../use-device-version.js";
import { routeHref } from "../use-route.js";

export function RefusedItems({ device }: { device: AppDevice }) {
  useDeviceVersion(device);
  const refused = device.queueItems().filter((item) => item.status === "error");
  const titles = new Map(device.list(undefined, { includeDeleted: true }).map((e) => [e.id, e.title]));
  return (
    <section className="refused" aria-labelledby="refused-heading">
      <h2 id="refused-heading">Refused by the sync server</h2>
      <p className="hint">These changes are kept on this device. Fix and retry them, or discard them to take the server's version.</p>
      {refused.length === 0 ? (
        <p className="empty">Nothing was refused.</p>
      ) : (
        <ul className="plain-list">
          {refused.map((item) => (
            <RefusedRow key={item.entityId} device={device} item={item} title={titles.get(item.entityId) ?? item.entityType} />
          ))}
        </ul>
      )}
    </section>
  );
}

function RefusedRow({ device, item, title }: { device: AppDevice; item: SyncQueueItem; title: string }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const run = (work: () => Promise<void>, verb: string) => {
    setBusy(true);
    setProblem(null);
    work()
      .catch((err: unknown) => setProblem(notSaved(err, verb)))
      .finally(() => setBusy(false));
  };
  const discard = () => {
    if (!window.confirm(`Discard this device's changes to "${title}"? The sync server's version is kept.`)) return;
    run(() => device.discardLocalChanges(item.entityId), "Not discarded");
  };
  const error = item.lastError ?? { code: "UNKNOWN", message: "no reason given", at: item.timestamp };
  return (
    <li className="card" data-testid="refused-item" data-entity={item.entityId} data-refused-at={error.at}>
      <p>
        <strong>{title}</strong> <span className="hint">({item.operation}, {formatMoment(error.at)})</span>
      </p>
      <p data-testid="refusal-reason">{refusalInWords(error)}</p>
      <div className="activity-actions">
        {item.entityType === "workout" && item.operation !== "delete" && (
          <a className="button button-secondary" href={routeHref({ screen: "workout", id: item.entityId })}>
            Fix
          </a>
        )}
        <button type="button" className="button button-primary" disabled={busy} onClick={() => run(() => device.retryItem(item.entityId), "Not retried")}>
          Retry
        </button>
        <button type="button" className="button button-danger" disabled={busy} onClick={discard}>
          Discard
        </button>
      </div>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
