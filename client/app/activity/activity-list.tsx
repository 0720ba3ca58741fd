// What was resolved without asking the person, newest first: each with the device, the time,
// what was lost and Restore where something was; and the exercise library's updates. The records
// live inside the documents, so every device of the person lists the same ones; "seen" is this
// device's, and opening this screen marks what it shows as seen.
import { useEffect, useState } from "react";
import type { LibraryNotice, ResolutionEntry } from "../../core/index.js";
import { formatMoment } from "../dates.js";
import type { AppDevice } from "../device/app-device.js";
import { notSaved } from "../failure-words.js";
import { useDeviceVersion } from "../use-device-version.js";
import { routeHref } from "../use-route.js";
import { describeResolution } from "./describe.js";

type Entry = { kind: "resolution"; at: number; record: ResolutionEntry } | { kind: "library"; at: number; notice: LibraryNotice };

export function ActivityList({ device }: { device: AppDevice }) {
  useDeviceVersion(device);
  const resolutions = device.resolutions();
  const notices = device.libraryNotices();
  const entities = new Map(device.list(undefined, { includeDeleted: true }).map((e) => [e.id, e]));
  const unseen = resolutions.filter((r) => !r.seen).map((r) => r.id);
  const unseenKey = unseen.join(",");
  // Marked "New" while the screen stays open, though marked seen at once.
  const [fresh, setFresh] = useState<ReadonlySet<string>>(() => new Set());

  useEffect(() => {
    if (!unseenKey) return;
    const ids = unseenKey.split(",");
    setFresh((current) => new Set([...current, ...ids]));
    void device.markResolutionsSeen(ids).catch(() => undefined);
  }, [device, unseenKey]);

  const entries: Entry[] = [
    ...resolutions.map((record): Entry => ({ kind: "resolution", at: record.at, record })),
    ...notices.map((notice): Entry => ({ kind: "library", at: notice.at, notice })),
  ].sort((a, b) => b.at - a.at);

  return (
    <section className="activity" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Activity</h2>
      <p className="hint">What sync settled without asking you. Where something was lost, you can bring it back.</p>
      {entries.length === 0 ? (
        <p className="empty" data-testid="activity-empty">
          Nothing yet.
        </p>
      ) : (
        <ul className="plain-list activity-list">
          {entries.map((entry) =>
            entry.kind === "resolution" ? (
              <ResolutionRow
                key={entry.record.id}
                device={device}
                record={entry.record}
                title={entities.get(entry.record.entityId)?.title ?? "An item"}
                deleted={entities.get(entry.record.entityId)?.deleted ?? false}
                fresh={fresh.has(entry.record.id)}
              />
            ) : (
              <LibraryRow key={entry.notice.id} device={device} notice={entry.notice} name={entities.get(entry.notice.entityId)?.title ?? "an exercise"} />
            ),
          )}
        </ul>
      )}
    </section>
  );
}

interface RowProps {
  device: AppDevice;
  record: ResolutionEntry;
  title: string;
  deleted: boolean;
  fresh: boolean;
}

function ResolutionRow({ device, record, title, deleted, fresh }: RowProps) {
  const [restoring, setRestoring] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const { headline, detail, lost } = describeResolution(record, title);
  const restore = () => {
    setRestoring(true);
    setProblem(null);
    device
      .restoreResolution(record.id)
      .catch((err: unknown) => setProblem(notSaved(err, "Not restored")))
      .finally(() => setRestoring(false));
  };
  return (
    <li className="card activity-item" data-testid="activity-item" data-kind={record.kind} data-entity={record.entityId}>
      <p className="activity-headline">
        {fresh && <span className="badge badge-new">New</span>} <strong>{headline}</strong>
      </p>
      <p className="activity-meta">
        {formatMoment(record.at)} · settled on {record.by.name || "a device"}
      </p>
      <p>{detail}</p>
      {lost.length > 0 && (
        <ul className="lost" aria-label="What was lost">
          {lost.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      )}
      <div className="activity-actions">
        {record.restoredAt !== null && (
          <span className="badge badge-synced" data-testid="restored">
            Restored {formatMoment(record.restoredAt)}
          </span>
        )}
        {record.restorable && (
          <button type="button" className="button button-primary" disabled={restoring} onClick={restore}>
            {restoring ? "Restoring…" : "Restore"}
          </button>
        )}
        {record.entityType === "workout" && !deleted && (
          <a className="button button-quiet" href={routeHref({ screen: "workout", id: record.entityId })}>
            Open workout
          </a>
        )}
      </div>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}

function LibraryRow({ device, notice, name }: { device: AppDevice; notice: LibraryNotice; name: string }) {
  return (
    <li className="card activity-item" data-testid="activity-item" data-kind="library_updated">
      <p className="activity-headline">
        <strong>
          Exercise library: “{name}” {notice.change === "added" ? "added" : "updated"}
        </strong>
      </p>
      <p className="activity-meta">{formatMoment(notice.at)} · from the sync server</p>
      <div className="activity-actions">
        <button type="button" className="button button-quiet" onClick={() => void device.dismissLibraryNotice(notice.id).catch(() => undefined)}>
          Dismiss
        </button>
      </div>
    </li>
  );
}
