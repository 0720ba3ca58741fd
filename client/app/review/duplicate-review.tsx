// Two workouts logged for the same time, maybe one session on two devices: side by side, then
// merge them into one, delete one, or keep both.
import { useEffect, useState } from "react";
import type { EntityDocument } from "../../core/index.js";
import { formatDate, formatMoment } from "../dates.js";
import type { AppDevice, DuplicateAction } from "../device/app-device.js";
import { notSaved } from "../failure-words.js";
import { useDeviceVersion } from "../use-device-version.js";
import { navigate, routeHref } from "../use-route.js";

type Workout = EntityDocument<"workout">;

export function DuplicateReview({ device, flagId }: { device: AppDevice; flagId: string }) {
  const version = useDeviceVersion(device);
  const flag = device.duplicates().find((f) => f.id === flagId);
  const [docs, setDocs] = useState<Workout[] | undefined>(undefined);
  // Each workout's heads as shown: a set arriving after this render is not deleted unseen.
  const [shown, setShown] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const ids = flag?.entityIds.join("+");

  useEffect(() => {
    if (!ids) return;
    let live = true;
    Promise.all(ids.split("+").map((id) => device.read<"workout">(id))).then(
      (found) => {
        if (!live) return;
        // The one logged first is shown first: the one "Merge" keeps.
        setDocs(found.flatMap((f) => (f ? [f.doc] : [])).sort((a, b) => a.createdAt - b.createdAt));
        setShown(Object.fromEntries(found.flatMap((f) => (f ? [[f.doc.id, f.heads]] : []))));
      },
      (err: unknown) => live && setProblem(`Could not open these workouts: ${(err as Error).message}`),
    );
    return () => {
      live = false;
    };
  }, [device, ids, version]);

  if (!flag) {
    return (
      <div className="card">
        <p>Nothing to choose here any more.</p>
        <a className="button button-secondary" href={routeHref({ screen: "review" })}>
          Back to review
        </a>
      </div>
    );
  }
  if (!docs) return problem ? <p className="form-error">{problem}</p> : <p className="empty">Opening…</p>;
  const [first, second] = docs;

  const act = async (action: DuplicateAction) => {
    setBusy(true);
    setProblem(null);
    try {
      await device.resolveDuplicate(flag.id, action);
      const kept = action.kind === "keep_both" ? undefined : action.keep;
      navigate(kept ? { screen: "workout", id: kept } : { screen: "review" });
    } catch (err) {
      setProblem(notSaved(err));
      setBusy(false);
    }
  };

  return (
    <article className="review" aria-labelledby="duplicate-title" data-testid="duplicate-review">
      <a className="back" href={routeHref({ screen: "review" })}>
        ← Review
      </a>
      <h2 id="duplicate-title">Two workouts at the same time</h2>
      <p className="hint">They may be one session logged on two devices.</p>
      <div className="versions">
        {docs.map((doc, i) => {
          const other = docs[1 - i];
          return (
            <section key={doc.id} className="version" aria-labelledby={`dup-${i}`} data-testid="duplicate-side">
              <header className="version-head">
                <h3 id={`dup-${i}`}>{doc.payload.title || "Workout"}</h3>
                <p className="version-meta">
                  {formatDate(doc.payload.startedAt)}
                  {doc.createdBy && ` · logged on ${doc.createdBy.name || "a device"}`} · last changed on {doc.deviceName || "a device"} {formatMoment(doc.updatedAt)}
                </p>
              </header>
              <ul className="plain-list">
                {doc.payload.exercises.map((e) => (
                  <li key={e.id}>
                    {e.name}: {e.sets.length} set{e.sets.length === 1 ? "" : "s"}
                  </li>
                ))}
              </ul>
              {other && (
                <div className="version-actions">
                  <button type="button" className="button button-danger" disabled={busy} onClick={() => void act({ kind: "delete", keep: other.id, shown })}>
                    Delete this one
                  </button>
                </div>
              )}
            </section>
          );
        })}
      </div>
      <section className="card merge-both" aria-label="Merge or keep both">
        {first && second && (
          <>
            <p>
              <strong>Merge</strong> adds the exercises of “{second.payload.title}” to “{first.payload.title}” and deletes the second.
            </p>
            <button type="button" className="button button-primary" disabled={busy} onClick={() => void act({ kind: "merge", keep: first.id })}>
              Merge
            </button>
          </>
        )}
        <button type="button" className="button button-secondary" disabled={busy} onClick={() => void act({ kind: "keep_both" })}>
          Keep both
        </button>
      </section>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
    </article>
  );
}
