// A workout or progression changed on two devices: both versions side by side (stacked on a
// phone), each labelled with its device and the time of its change, the differences marked, and
// the person's choice: keep one device's version, or merge both. The choice is this device's own
// write on top of the other's version, pushed at once (docs/conflicts.md, "The person's choice").
import { useEffect, useState } from "react";
import { validateDocument, type ConflictChoice, type EntityDocument } from "../../core/index.js";
import type { AppDevice } from "../device/app-device.js";
import { notSaved } from "../failure-words.js";
import { useDeviceVersion } from "../use-device-version.js";
import { navigate, routeHref } from "../use-route.js";
import { VersionPane, type VersionSide } from "./version-pane.js";

type Reviewable = EntityDocument<"workout" | "progression">;

interface Props {
  device: AppDevice;
  id: string;
  /** This device's name, as the person set it up. */
  deviceName: string;
}

export function ConflictReview({ device, id, deviceName }: Props) {
  const version = useDeviceVersion(device);
  const item = device.queueItems().find((i) => i.entityId === id && i.status === "conflict");
  const [current, setCurrent] = useState<Reviewable | undefined>(undefined);
  const [choosing, setChoosing] = useState<ConflictChoice | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  // This device's side is the document as it is now: the person may have edited on since the
  // conflict was found, and "keep this device's" keeps that.
  useEffect(() => {
    let live = true;
    device.read(id).then(
      (found) => live && found && (found.doc.type === "workout" || found.doc.type === "progression") && setCurrent(found.doc),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [device, id, version]);

  if (!item?.conflict) {
    return (
      <div className="card" data-testid="conflict-resolved">
        <p>Nothing to choose here any more: this conflict has been resolved.</p>
        <a className="button button-secondary" href={routeHref({ screen: "review" })}>
          Back to review
        </a>
      </div>
    );
  }
  const { conflict } = item;
  const theirs = asReviewable(item.entityType, conflict.serverData);
  const mine = current ?? asReviewable(item.entityType, conflict.localData);
  if (!theirs || !mine) {
    return (
      <p className="form-error" role="alert">
        The two versions of this item cannot be shown.
      </p>
    );
  }
  const local: VersionSide = { deviceName, role: "This device", changedAt: mine.updatedAt, doc: mine };
  const remote: VersionSide = { deviceName: conflict.serverDeviceName || "Other device", role: "Other device", changedAt: conflict.serverChangedAt, doc: theirs };
  // Two devices may carry one name ("Chrome on Android"): the buttons must still differ.
  const localLabel = local.deviceName === remote.deviceName ? `${local.deviceName} (this device)` : local.deviceName;
  const what = item.entityType === "workout" ? "workout" : "progression";
  const title = mine.type === "workout" ? mine.payload.title : mine.payload.exerciseName;

  const choose = async (choice: ConflictChoice) => {
    setChoosing(choice);
    setProblem(null);
    try {
      await device.resolveConflict(id, choice, conflict.serverVersion);
      const next = device.queueItems().find((i) => i.status === "conflict" && i.entityId !== id);
      if (next) navigate({ screen: "conflict", id: next.entityId });
      else navigate(item.entityType === "workout" ? { screen: "workout", id } : { screen: "progression" });
    } catch (err) {
      setProblem(notSaved(err, "Not resolved"));
      setChoosing(null);
    }
  };
  const button = (choice: ConflictChoice, label: string, tone: string) => (
    <button type="button" className={`button ${tone}`} disabled={choosing !== null} onClick={() => void choose(choice)}>
      {choosing === choice ? "Saving…" : label}
    </button>
  );

  return (
    <article className="review" aria-labelledby="review-title" data-testid="conflict-review">
      <a className="back" href={routeHref({ screen: "review" })}>
        ← Review
      </a>
      <h2 id="review-title">
        “{title}” was changed on two devices
      </h2>
      <p className="hint">
        Both versions are kept until you choose. Marked: <mark>changed</mark> values, sets only in one version, and sets <del>not in</del> a version.
      </p>
      <div className="versions">
        <VersionPane side={local} other={remote} testId="version-mine">
          {button("mine", `Keep ${localLabel}`, "button-primary")}
        </VersionPane>
        <VersionPane side={remote} other={local} testId="version-theirs">
          {button("theirs", `Keep ${remote.deviceName}`, "button-primary")}
        </VersionPane>
      </div>
      <section className="card merge-both" aria-label="Merge both">
        <p>
          <strong>Merge both</strong> keeps everything from both versions. A set changed differently on each device is kept twice, the second marked with
          its device.
        </p>
        {button("merge", "Merge both", "button-secondary")}
      </section>
      {problem && (
        <p className="form-error" role="alert">
          {problem}
        </p>
      )}
      <a className="back" href={routeHref(what === "workout" ? { screen: "workout", id } : { screen: "progression" })}>
        Open this {what} as it is on this device
      </a>
    </article>
  );
}

function asReviewable(type: string, data: unknown): Reviewable | undefined {
  if (type !== "workout" && type !== "progression") return undefined;
  const checked = validateDocument(type, data);
  return checked.ok ? checked.value : undefined;
}
