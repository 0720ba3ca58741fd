// Recovery per day: sleep hours, soreness and readiness (0–10), a note, on the person's recovery
// entity (one per person, days keyed YYYY-MM-DD; a conflict keeps the later write per day).
// Checked by the schema's own rules before it is saved.
import { useEffect, useState, type SyntheticEvent } from "react";
import { recoveryDaySchema, type EntityDocument, type Payloads } from "../../core/index.js";
import type { AppDevice } from "../device/app-device.js";
import { notSaved } from "../failure-words.js";
import { fieldProblem, SAVE_IDLE, SaveOutcome, type SaveState } from "./form-save.js";
import { useDeviceVersion } from "../use-device-version.js";
import { toNumber } from "../workout-drafts.js";
import { isoDay } from "./weekly-volume.js";

type RecoveryDay = Payloads["recovery"]["days"][string];

/** The person's recovery entity, read again on every device change; the oldest wins if two were made. */
function useRecovery(device: AppDevice): { id: string | undefined; days: Record<string, RecoveryDay>; loaded: boolean } {
  const version = useDeviceVersion(device);
  const id = device.list("recovery").at(-1)?.id;
  const [doc, setDoc] = useState<EntityDocument<"recovery">>();
  useEffect(() => {
    let current = true;
    if (id === undefined) setDoc(undefined);
    else void device.read<"recovery">(id).then((found) => current && setDoc(found?.doc), () => undefined);
    return () => {
      current = false;
    };
  }, [device, id, version]);
  const mine = doc?.id === id ? doc : undefined;
  return { id, days: mine?.payload.days ?? {}, loaded: id === undefined || mine !== undefined };
}

/** An empty field is "not recorded" (null); anything else must be a number the schema takes. */
const optional = (text: string): number | null => (text.trim() === "" ? null : toNumber(text));

export function RecoveryScreen({ device }: { device: AppDevice }) {
  const recovery = useRecovery(device);
  const [day, setDay] = useState(() => isoDay(new Date()));
  const [sleep, setSleep] = useState("");
  const [soreness, setSoreness] = useState("");
  const [readiness, setReadiness] = useState("");
  const [note, setNote] = useState("");
  const [state, setState] = useState<SaveState>(SAVE_IDLE);

  const save = async (event: SyntheticEvent) => {
    event.preventDefault();
    const checked = recoveryDaySchema.safeParse({ sleepHours: optional(sleep), soreness: optional(soreness), readiness: optional(readiness), note: note.trim() });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      setState({ ...SAVE_IDLE, error: "Day: choose a day" });
      return;
    }
    if (!checked.success) {
      setState({ ...SAVE_IDLE, error: fieldProblem(checked.error, FIELD_NAMES) });
      return;
    }
    setState({ ...SAVE_IDLE, saving: true });
    try {
      const days = { ...recovery.days, [day]: checked.data };
      if (recovery.id) await device.updateEntity(recovery.id, "recovery", { days });
      else await device.create("recovery", { days });
      setState({ ...SAVE_IDLE, message: `Saved ${day} on this device` });
    } catch (err) {
      setState({ ...SAVE_IDLE, error: notSaved(err) });
    }
  };

  if (!recovery.loaded) return <p className="empty">Opening…</p>;
  const recent = Object.entries(recovery.days)
    .sort(([a], [b]) => b.localeCompare(a))
    .slice(0, 14);
  return (
    <>
      <form className="card workout-form" aria-label="Recovery" onSubmit={(e) => void save(e)}>
        <h2>Recovery</h2>
        <label className="field">
          <span>Day</span>
          <input type="date" value={day} onChange={(e) => setDay(e.target.value)} />
        </label>
        <label className="field">
          <span>Sleep (hours)</span>
          <input inputMode="decimal" value={sleep} onChange={(e) => setSleep(e.target.value)} />
        </label>
        <label className="field">
          <span>Soreness (0–10)</span>
          <input inputMode="numeric" value={soreness} onChange={(e) => setSoreness(e.target.value)} />
        </label>
        <label className="field">
          <span>Readiness (0–10)</span>
          <input inputMode="numeric" value={readiness} onChange={(e) => setReadiness(e.target.value)} />
        </label>
        <label className="field">
          <span>Note</span>
          <textarea className="recovery-note" rows={3} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        <SaveOutcome state={state} />
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={state.saving}>
            {state.saving ? "Saving…" : "Save day"}
          </button>
        </div>
      </form>
      {recent.length > 0 && (
        <section className="card" aria-labelledby="recovery-days-title">
          <h2 id="recovery-days-title">Recent days</h2>
          <table className="volume-table" data-testid="recovery-days">
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Sleep</th>
                <th scope="col">Soreness</th>
                <th scope="col">Readiness</th>
              </tr>
            </thead>
            <tbody>
              {recent.map(([d, entry]) => (
                <tr key={d}>
                  <th scope="row">{d}</th>
                  <td>{entry.sleepHours ?? "—"}</td>
                  <td>{entry.soreness ?? "—"}</td>
                  <td>{entry.readiness ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

const FIELD_NAMES: Record<string, string> = {
  sleepHours: "Sleep",
  soreness: "Soreness",
  readiness: "Readiness",
  note: "Note",
};
