// Progression per exercise, on the person's progression entities (one per exercise): the target
// sets × reps × weight and the step it goes up by once hit. Each is edited in place and checked
// by the schema's rules before it is saved; only the fields the person changed are written. A
// progression changed on two devices keeps both versions until the person chooses: its card says
// so and leads to the side-by-side review, as a workout's conflict does.
import { useState, type SyntheticEvent } from "react";
import type { AppDevice } from "../device/app-device.js";
import { notSaved } from "../failure-words.js";
import { SAVE_IDLE, SaveOutcome, type SaveState } from "./form-save.js";
import { SyncBadge } from "../sync-badge.js";
import { routeHref } from "../use-route.js";
import { ProgressionFields } from "./progression-fields.js";
import { changedFields, checkProgression, describeTarget, draftOf, nextStep, type Progression, type ProgressionDraft } from "./progression-plan.js";
import { useTrainingSettings, type TrainingSettings } from "./profile-settings.js";
import { useProgressions, type StoredProgression } from "./use-progressions.js";


export function ProgressionScreen({ device }: { device: AppDevice }) {
  const progressions = useProgressions(device);
  // A new progression starts in the profile's unit and plate step: wait for them.
  const settings = useTrainingSettings(device);
  if (!progressions || !settings.loaded) return <p className="empty">Opening…</p>;
  return (
    <>
      <section className="card" aria-labelledby="progression-title">
        <h2 id="progression-title">Progression</h2>
        {progressions.length === 0 && <p className="empty">No progressions yet. Add an exercise below.</p>}
      </section>
      {progressions.map((p) => (
        // Keyed by what is stored: a change synced in (or a conflict resolved) shows at once.
        <ProgressionCard key={`${p.id}:${JSON.stringify(p.payload)}`} device={device} progression={p} />
      ))}
      <NewProgression device={device} settings={settings} taken={progressions.map((p) => p.payload.exerciseName)} />
    </>
  );
}

function ProgressionCard({ device, progression }: { device: AppDevice; progression: StoredProgression }) {
  const { id, payload } = progression;
  const [draft, setDraft] = useState<ProgressionDraft>(() => draftOf(payload));
  const [state, setState] = useState<SaveState>(SAVE_IDLE);
  const next = nextStep(payload);

  const write = async (target: Progression, message: string) => {
    const patch = changedFields(payload, target);
    if (Object.keys(patch).length === 0) {
      setState({ ...SAVE_IDLE, message: "Nothing changed" });
      return;
    }
    setState({ ...SAVE_IDLE, saving: true });
    try {
      await device.updateEntity(id, "progression", patch);
      setState({ ...SAVE_IDLE, message });
    } catch (err) {
      setState({ ...SAVE_IDLE, error: notSaved(err) });
    }
  };
  const save = (event: SyntheticEvent) => {
    event.preventDefault();
    const checked = checkProgression({ ...draft, exerciseName: payload.exerciseName }, payload.notes);
    if (!checked.ok) setState({ ...SAVE_IDLE, error: checked.message });
    else void write(checked.value, "Saved on this device");
  };

  return (
    <form className="card workout-form progression" aria-label={`${payload.exerciseName} progression`} data-testid="progression" onSubmit={save}>
      <div className="progression-head">
        <h3>
          <a className="link-button" href={routeHref({ screen: "exercise", name: payload.exerciseName })}>
            {payload.exerciseName}
          </a>
        </h3>
        <SyncBadge state={progression.syncState} />
      </div>
      <p className="progression-target" data-testid="progression-target">
        Target {describeTarget(payload)}
      </p>
      {progression.syncState === "conflict" && (
        <p className="progression-conflict" data-testid="progression-conflict">
          Changed on this device and another one: both versions are kept until you choose.{" "}
          <a className="button button-primary" href={routeHref({ screen: "conflict", id })}>
            Choose a version
          </a>
        </p>
      )}
      <ProgressionFields draft={draft} onChange={setDraft} />
      <SaveOutcome state={state} />
      <div className="form-actions">
        <button type="button" className="button button-secondary" disabled={state.saving} onClick={() => void write(next, `Next target ${describeTarget(next)}`)}>
          Hit it: {next.targetWeight} {next.unit} next
        </button>
        <button type="submit" className="button button-primary" disabled={state.saving}>
          {state.saving ? "Saving…" : "Save"}
        </button>
      </div>
    </form>
  );
}

function NewProgression({ device, settings, taken }: { device: AppDevice; settings: TrainingSettings; taken: string[] }) {
  const blank: ProgressionDraft = { exerciseName: "", targetWeight: "", unit: settings.unit, targetSets: "3", targetReps: "5", increment: String(settings.plateIncrement) };
  const [draft, setDraft] = useState<ProgressionDraft>(blank);
  const [state, setState] = useState<SaveState>(SAVE_IDLE);

  const add = async (event: SyntheticEvent) => {
    event.preventDefault();
    const checked = checkProgression(draft);
    if (!checked.ok) {
      setState({ ...SAVE_IDLE, error: checked.message });
      return;
    }
    const name = checked.value.exerciseName;
    // One progression per exercise: a second would leave the person two targets to follow.
    if (taken.some((t) => t.toLowerCase() === name.toLowerCase())) {
      setState({ ...SAVE_IDLE, error: `Exercise: ${name} has a progression already` });
      return;
    }
    setState({ ...SAVE_IDLE, saving: true });
    try {
      await device.create("progression", checked.value);
      setDraft(blank);
      setState({ ...SAVE_IDLE, message: `Added ${name}` });
    } catch (err) {
      setState({ ...SAVE_IDLE, error: notSaved(err) });
    }
  };

  return (
    <form className="card workout-form" aria-label="New progression" onSubmit={(e) => void add(e)}>
      <h3>Add an exercise</h3>
      <label className="field">
        <span>Exercise</span>
        <input value={draft.exerciseName} onChange={(e) => setDraft({ ...draft, exerciseName: e.target.value })} />
      </label>
      <ProgressionFields draft={draft} onChange={setDraft} withUnit />
      <SaveOutcome state={state} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={state.saving}>
          {state.saving ? "Saving…" : "Add progression"}
        </button>
      </div>
    </form>
  );
}
