// "Sync health": what this device knows about its own syncing, for the person and for a bug
// report: queue depth, last sync, the last error in words, how often waiting changes failed,
// conflicts waiting, how conflicts were settled (by entity type and kind), and the recent sync
// log (kept in IndexedDB), which can be exported.
// Specification: docs/observability.md
import { useEffect, useState } from "react";
import { MANUAL_SYNC_MESSAGE } from "../../core/index.js";
import { formatMoment } from "../dates.js";
import type { AppDevice } from "../device/app-device.js";
import { download } from "../download.js";
import { refusalInWords } from "../failure-words.js";
import { useDeviceVersion } from "../use-device-version.js";
import { DebugLogStore, type LogEntry } from "./debug-log-store.js";
import { entityTypeInWords, settledInWords } from "./settled-words.js";

/** Log lines shown on the screen; the export has every kept line. */
const SHOWN = 50;

export function SyncHealth({ device, userId }: { device: AppDevice; userId: string }) {
  const version = useDeviceVersion(device);
  const [log, setLog] = useState<LogEntry[]>([]);
  const status = device.status();
  const waiting = device.queueItems().filter((item) => item.status === "pending");
  const byRetries = new Map<number, number>();
  for (const item of waiting) byRetries.set(item.retryCount, (byRetries.get(item.retryCount) ?? 0) + 1);

  useEffect(() => {
    let current = true;
    void DebugLogStore.forUser(userId)
      .recent()
      .then((entries) => {
        if (current) setLog(entries);
      });
    return () => {
      current = false;
    };
  }, [userId, version]);

  const exportLog = () => {
    const report = { exportedAt: new Date().toISOString(), status, retryCounts: Object.fromEntries(byRetries), log };
    download(`ironflow-sync-log-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`, "application/json", JSON.stringify(report, null, 2));
  };

  return (
    <section className="sync-health" aria-labelledby="sync-health-title">
      <h2 id="sync-health-title">Sync health</h2>
      <dl className="health-figures">
        <dt>Waiting to sync</dt>
        <dd data-testid="health-queue-depth">{status.queueDepth}</dd>
        <dt>Last sync</dt>
        <dd data-testid="health-last-sync">{status.lastSyncAt === null ? "Never" : formatMoment(status.lastSyncAt)}</dd>
        <dt>Last error</dt>
        <dd data-testid="health-last-error">{status.lastError ? refusalInWords(status.lastError) : "None"}</dd>
        <dt>Conflicts to resolve</dt>
        <dd data-testid="health-conflicts">{status.conflicts}</dd>
        <dt>Waiting for a manual sync</dt>
        <dd data-testid="health-manual">{status.waitingForManualSync === 0 ? "None" : `${status.waitingForManualSync}: ${MANUAL_SYNC_MESSAGE}`}</dd>
      </dl>
      <h3>Retries of waiting changes</h3>
      {waiting.length === 0 ? (
        <p>No change is waiting.</p>
      ) : (
        <table className="health-retries" data-testid="health-retries">
          <thead>
            <tr>
              <th scope="col">Failed attempts</th>
              <th scope="col">Changes</th>
            </tr>
          </thead>
          <tbody>
            {[...byRetries].sort(([a], [b]) => a - b).map(([retries, items]) => (
              <tr key={retries} data-retries={retries} data-items={items}>
                <td>{retries}</td>
                <td>{items}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Conflicts settled since the app opened, by type</h3>
      {status.settled.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table className="health-retries" data-testid="health-settled">
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">How</th>
              <th scope="col">Times</th>
            </tr>
          </thead>
          <tbody>
            {status.settled.map(({ entityType, kind, count }) => (
              <tr key={`${entityType}/${kind}`} data-entity-type={entityType} data-kind={kind} data-count={count}>
                <td>{entityTypeInWords(entityType)}</td>
                <td>{settledInWords(kind)}</td>
                <td>{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Recent sync log</h3>
      <button type="button" className="button button-small" onClick={exportLog}>
        Export log
      </button>
      {log.length === 0 ? (
        <p>Nothing logged yet.</p>
      ) : (
        <ol className="health-log" data-testid="health-log" reversed>
          {log
            .slice(-SHOWN)
            .reverse()
            .map((entry) => (
              <li key={entry.seq} data-event={entry.event}>
                <code>{describeEntry(entry)}</code>
              </li>
            ))}
        </ol>
      )}
    </section>
  );
}

/** One line per event: its time, name and fields. */
function describeEntry(entry: LogEntry): string {
  const rest = Object.entries(entry)
    .filter(([key]) => !["seq", "event", "timestamp", "device_id"].includes(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  return `${entry.timestamp.slice(11, 19)} ${entry.event} ${rest}`;
}
