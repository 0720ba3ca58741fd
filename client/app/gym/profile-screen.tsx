// The person's profile and training settings, on their user_profile entity (synced to every
// device of theirs): display name, units, the plate increment the weight steppers use and the
// rest the timer starts with. Checked by the schema's own rules before it is saved.
import { useRef, useState, type SyntheticEvent } from "react";
import { userProfileSchema } from "../../core/index.js";
import type { AppDevice } from "../device/app-device.js";
import { notSaved } from "../failure-words.js";
import { fieldProblem, SAVE_IDLE, SaveOutcome, type SaveState } from "./form-save.js";
import { toNumber } from "../workout-drafts.js";
import { newProfile, useTrainingSettings, type TrainingSettings, type Unit } from "./profile-settings.js";

export function ProfileScreen({ device }: { device: AppDevice }) {
  const settings = useTrainingSettings(device);
  // Once shown, the form stays while a profile its first save created is being read.
  const shown = useRef(false);
  if (settings.loaded) shown.current = true;
  if (!shown.current) return <p className="empty">Opening…</p>;
  // Not keyed by the profile: the form stays (with what it said) when its first save creates it.
  return <ProfileForm device={device} settings={settings} />;
}

function ProfileForm({ device, settings }: { device: AppDevice; settings: TrainingSettings }) {
  const [displayName, setDisplayName] = useState(settings.displayName);
  const [unit, setUnit] = useState<Unit>(settings.unit);
  const [plate, setPlate] = useState(String(settings.plateIncrement));
  const [rest, setRest] = useState(String(settings.restSeconds));
  const [state, setState] = useState<SaveState>(SAVE_IDLE);

  const save = async (event: SyntheticEvent) => {
    event.preventDefault();
    const patch = { displayName: displayName.trim(), preferredUnit: unit, plateIncrement: toNumber(plate), restSeconds: toNumber(rest) };
    const checked = userProfileSchema.safeParse({ ...newProfile(), ...patch });
    if (!checked.success) {
      setState({ ...SAVE_IDLE, error: fieldProblem(checked.error, FIELD_NAMES) });
      return;
    }
    setState({ ...SAVE_IDLE, saving: true });
    try {
      if (settings.profileId) await device.updateEntity(settings.profileId, "user_profile", patch);
      else await device.create("user_profile", { ...newProfile(), ...patch });
      setState({ ...SAVE_IDLE, message: "Saved on this device" });
    } catch (err) {
      setState({ ...SAVE_IDLE, error: notSaved(err) });
    }
  };

  return (
    <form className="card workout-form" aria-label="Profile" onSubmit={(e) => void save(e)}>
      <h2>Profile</h2>
      <label className="field">
        <span>Display name</span>
        <input value={displayName} autoComplete="nickname" onChange={(e) => setDisplayName(e.target.value)} />
      </label>
      <label className="field">
        <span>Units</span>
        <select value={unit} onChange={(e) => setUnit(e.target.value as Unit)}>
          <option value="kg">kg</option>
          <option value="lb">lb</option>
        </select>
      </label>
      <label className="field">
        <span>Plate increment ({unit})</span>
        <input inputMode="decimal" value={plate} onChange={(e) => setPlate(e.target.value)} />
      </label>
      <label className="field">
        <span>Rest between sets (seconds)</span>
        <input inputMode="numeric" value={rest} onChange={(e) => setRest(e.target.value)} />
      </label>
      <SaveOutcome state={state} />
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={state.saving}>
          {state.saving ? "Saving…" : "Save profile"}
        </button>
      </div>
    </form>
  );
}

const FIELD_NAMES: Record<string, string> = {
  displayName: "Display name",
  plateIncrement: "Plate increment",
  restSeconds: "Rest between sets",
};
