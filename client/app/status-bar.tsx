// The device's sync status: connection, what is waiting, what needs the person (conflicts to
// choose, resolutions not seen yet, changes the relay refused), progress through a long
// catch-up, when it last synced, the last error, and "Sync now". Every tab shows the same status:
// a tab that does not hold the device store shows the holding tab's.
import { useEffect, useState, useSyncExternalStore } from "react";
import { MANUAL_SYNC_MESSAGE } from "../core/index.js";
import { formatMoment } from "./dates.js";
import type { AppDevice } from "./device/app-device.js";
import { needsPerson } from "./needs-person.js";
import { useDeviceVersion } from "./use-device-version.js";
import { routeHref } from "./use-route.js";

export function StatusBar({ device }: { device: AppDevice }) {
  useDeviceVersion(device);
  const [syncing, setSyncing] = useState(false);
  const [syncProblem, setSyncProblem] = useState<string | null>(null);
  const browserOnline = useBrowserOnline();
  const status = device.status();
  const counts = needsPerson(device);
  // The browser knows at once when the network goes; the connection may take longer to notice.
  const online = status.online && browserOnline;

  useEffect(() => {
    if (status.lastError === null) setSyncProblem(null);
  }, [status.lastError]);

  const syncNow = () => {
    setSyncing(true);
    setSyncProblem(null);
    device
      .syncNow()
      .catch((err: unknown) => setSyncProblem(status.lastError ? null : (err as Error).message))
      .finally(() => setSyncing(false));
  };

  return (
    <section className="status" aria-label="Sync status">
      <div className="status-row">
        <span className={`connection ${online ? "is-online" : "is-offline"}`} data-testid="connection" role="status">
          {online ? "Online" : "Offline"}
        </span>
        <span data-testid="queue-depth" data-depth={status.queueDepth} role="status">
          {status.queueDepth === 0 ? "Nothing waiting" : `${status.queueDepth} waiting to sync`}
        </span>
        <button type="button" className="button button-small" onClick={syncNow} disabled={syncing}>
          {syncing ? "Syncing…" : "Sync now"}
        </button>
      </div>
      {(counts.conflicts > 0 || counts.duplicates > 0 || counts.unseen > 0 || counts.refused > 0) && (
        <div className="status-row status-needs">
          {counts.conflicts > 0 && (
            <a className="status-link status-conflicts" href={routeHref({ screen: "review" })} data-testid="conflict-count" data-count={counts.conflicts}>
              {counts.conflicts} to resolve
            </a>
          )}
          {counts.duplicates > 0 && (
            <a className="status-link" href={routeHref({ screen: "review" })} data-testid="duplicate-count" data-count={counts.duplicates}>
              {counts.duplicates} possible duplicate{counts.duplicates === 1 ? "" : "s"}
            </a>
          )}
          {counts.unseen > 0 && (
            <a className="status-link" href={routeHref({ screen: "activity" })} data-testid="activity-count" data-count={counts.unseen}>
              {counts.unseen} new in activity
            </a>
          )}
          {counts.refused > 0 && (
            <a className="status-link status-refused" href={routeHref({ screen: "refused" })} data-testid="refused-count" data-count={counts.refused}>
              {counts.refused} refused by the server
            </a>
          )}
        </div>
      )}
      <div className="status-row status-detail">
        {/* In the last sync's place while a push runs, not beside it: every push of one edit
            would add a line on a phone and move the screen under the person's finger. */}
        {status.progress && status.progress.total > 0 ? (
          <span className="status-progress" data-testid="sync-progress">
            <progress max={status.progress.total} value={status.progress.done} aria-label="Sync progress" />
            <span>
              {status.progress.done} / {status.progress.total}
            </span>
          </span>
        ) : (
          <span data-testid="last-sync">{status.lastSyncAt === null ? "Never synced" : `Last sync ${formatMoment(status.lastSyncAt)}`}</span>
        )}
        {status.waitingForManualSync > 0 && (
          <span className="status-error" data-testid="manual-sync">
            {MANUAL_SYNC_MESSAGE}
          </span>
        )}
        {status.lastError && (
          <span className="status-error" data-testid="last-error" title={status.lastError.message}>
            {describeError(status.lastError)}
          </span>
        )}
        {syncProblem && <span className="status-error">{syncProblem}</span>}
        <a className="status-link" href={routeHref({ screen: "health" })} data-testid="sync-health-link">
          Sync health
        </a>
      </div>
    </section>
  );
}

function describeError(error: { code: string; message: string }): string {
  return error.code === "UNAVAILABLE" ? "Can't reach the sync server; will retry" : error.message;
}

function useBrowserOnline(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      window.addEventListener("online", onChange);
      window.addEventListener("offline", onChange);
      return () => {
        window.removeEventListener("online", onChange);
        window.removeEventListener("offline", onChange);
      };
    },
    () => navigator.onLine,
  );
}
