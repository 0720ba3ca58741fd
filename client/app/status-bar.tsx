// The device's sync status: connection, what is waiting, when it last synced, the last error,
// and a button to sync now.
import { useState } from "react";
import { MANUAL_SYNC_MESSAGE, type IronFlowClient } from "../core/index.js";
import { formatMoment } from "./dates.js";
import { useClientVersion } from "./use-client-version.js";

export function StatusBar({ client }: { client: IronFlowClient }) {
  useClientVersion(client);
  const [syncing, setSyncing] = useState(false);
  const status = client.status();

  const syncNow = () => {
    setSyncing(true);
    // A failure shows up as status().lastError below; nothing to do with it here.
    void client
      .syncNow()
      .catch(() => undefined)
      .finally(() => setSyncing(false));
  };

  return (
    <section className="status" aria-label="Sync status">
      <div className="status-row">
        <span className={`connection ${status.online ? "is-online" : "is-offline"}`} data-testid="connection">
          {status.online ? "Online" : "Offline"}
        </span>
        <span data-testid="queue-depth" data-depth={status.queueDepth}>
          {status.queueDepth === 0 ? "Nothing waiting" : `${status.queueDepth} waiting to sync`}
        </span>
        {status.conflicts > 0 && (
          <span className="status-conflicts" data-testid="conflict-count">
            {status.conflicts} to resolve
          </span>
        )}
        <button type="button" className="button button-small" onClick={syncNow} disabled={syncing}>
          {syncing ? "Syncing…" : "Sync now"}
        </button>
      </div>
      <div className="status-row status-detail">
        <span data-testid="last-sync">
          {status.lastSyncAt === null ? "Never synced" : `Last sync ${formatMoment(status.lastSyncAt)}`}
        </span>
        {status.progress && status.progress.total > 0 && (
          <progress data-testid="sync-progress" max={status.progress.total} value={status.progress.done}>
            {status.progress.done} / {status.progress.total}
          </progress>
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
      </div>
    </section>
  );
}

function describeError(error: { code: string; message: string }): string {
  return error.code === "UNAVAILABLE" ? "Can't reach the sync server; will retry" : error.message;
}
