// One version of a workout or a progression in the side-by-side review, with what differs from
// the other version marked in words as well as colour.
import type { ReactNode } from "react";
import type { EntityDocument, WorkoutSet } from "../../core/index.js";
import { formatMoment } from "../dates.js";
import { diffProgression, diffWorkout, summarizeDiff, type SetField, type SetLine } from "./version-diff.js";

export interface VersionSide {
  /** The device name the person knows it by. */
  deviceName: string;
  /** "This device" or "Other device". */
  role: string;
  changedAt: number;
  doc: EntityDocument<"workout" | "progression">;
}

interface Props {
  side: VersionSide;
  other: VersionSide;
  testId: string;
  children: ReactNode;
}

export function VersionPane({ side, other, testId, children }: Props) {
  const headingId = `${testId}-heading`;
  return (
    <section className="version" aria-labelledby={headingId} data-testid={testId}>
      <header className="version-head">
        <h3 id={headingId}>{side.deviceName}</h3>
        <p className="version-meta">
          {side.role} · changed {formatMoment(side.changedAt)}
        </p>
      </header>
      {side.doc.type === "workout" && other.doc.type === "workout" ? (
        <WorkoutVersion version={side.doc} other={other.doc} />
      ) : side.doc.type === "progression" && other.doc.type === "progression" ? (
        <dl className="version-fields">
          {diffProgression(side.doc.payload, other.doc.payload).map((line) => (
            <div key={line.label} className={line.changed ? "is-changed" : undefined}>
              <dt>{line.label}</dt>
              <dd>{line.changed ? <mark>{line.value}</mark> : line.value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p className="hint">This version cannot be shown.</p>
      )}
      <div className="version-actions">{children}</div>
    </section>
  );
}

function WorkoutVersion({ version, other }: { version: EntityDocument<"workout">; other: EntityDocument<"workout"> }) {
  const lines = diffWorkout(version.payload, other.payload);
  const summary = summarizeDiff(lines.counts);
  return (
    <>
      <p className="version-summary" data-testid="diff-summary">
        {summary || "Same sets as the other version"}
      </p>
      <p className="version-title">
        {lines.titleChanged ? <mark title="Differs from the other version">{lines.title || "Untitled"}</mark> : lines.title || "Untitled"}
      </p>
      {lines.notesChanged && (
        <p className="version-notes">
          Notes: <mark>{lines.notes || "none"}</mark>
        </p>
      )}
      {lines.exercises.map((exercise) => (
        <div key={exercise.id} className={`version-exercise presence-${exercise.presence}`}>
          <h4>
            {exercise.presence === "missing" ? <del>{exercise.name}</del> : exercise.nameChanged ? <mark>{exercise.name}</mark> : exercise.name}
            {exercise.presence === "added" && <span className="mark-label"> only here</span>}
            {exercise.presence === "missing" && <span className="mark-label"> not in this version</span>}
          </h4>
          <ol className="version-sets">
            {exercise.sets.map((line) => (
              <SetRow key={`${line.set.id}-${line.mark.kind}`} line={line} />
            ))}
          </ol>
        </div>
      ))}
    </>
  );
}

const MARK_LABEL = { same: "", added: "only here", changed: "changed", missing: "not in this version" } as const;

function SetRow({ line }: { line: SetLine }) {
  const { set, mark } = line;
  const changed = (field: SetField) => mark.kind === "changed" && mark.fields.includes(field);
  const text = (field: SetField, value: string) => (changed(field) ? <mark>{value}</mark> : value);
  const body = (
    <>
      {text("reps", String(set.reps))} × {text("weight", String(set.weight))} {text("unit", set.unit)}
      {(set.rpe !== null || changed("rpe")) && <> @ RPE {text("rpe", set.rpe === null ? "–" : String(set.rpe))}</>}
    </>
  );
  return (
    <li className={`version-set mark-${mark.kind}`} data-mark={mark.kind}>
      <span className="set-no">{line.number ?? "–"}</span>
      <span className="set-text">{mark.kind === "missing" ? <del>{body}</del> : body}</span>
      {mark.kind !== "same" && <span className="mark-label">{MARK_LABEL[mark.kind]}</span>}
      {set.keptFrom && <span className="mark-label">{describeKept(set)}</span>}
    </li>
  );
}

function describeKept(set: WorkoutSet): string {
  return `${set.keptFrom?.device.name || "another device"}'s version`;
}
