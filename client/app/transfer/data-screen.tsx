// The person's data, out and back in: everything as JSON (with its history, so importing it
// again, here or on a wiped device, duplicates nothing), and every set as CSV for a spreadsheet.
import { useState, type ChangeEvent } from "react";
import type { Payloads } from "../../core/index.js";
import type { AppDevice, ImportReport } from "../device/app-device.js";
import { notSaved } from "../failure-words.js";
import { localDateTime, workoutsCsv } from "./workouts-csv.js";
import { download } from "../download.js";

export function DataScreen({ device, userId }: { device: AppDevice; userId: string }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ tone: "ok" | "error"; text: string } | null>(null);
  const stamp = localDateTime(Date.now()).slice(0, 10);

  const work = async (label: string, job: () => Promise<string>) => {
    setBusy(label);
    setMessage(null);
    try {
      setMessage({ tone: "ok", text: await job() });
    } catch (err) {
      setMessage({ tone: "error", text: err instanceof SyntaxError ? "This file is not an IronFlow export (it is not JSON)." : notSaved(err, `${label} failed`) });
    } finally {
      setBusy(null);
    }
  };

  const exportJson = () =>
    work("Export", async () => {
      const file = await device.exportData();
      download(`ironflow-${userId}-${stamp}.json`, "application/json", JSON.stringify(file));
      return `Exported ${file.entities.length} item${file.entities.length === 1 ? "" : "s"}.`;
    });

  const exportCsv = () =>
    work("Export", async () => {
      const workouts: Payloads["workout"][] = [];
      for (const item of device.list("workout")) {
        const found = await device.read<"workout">(item.id);
        if (found && !found.doc.deleted) workouts.push(found.doc.payload);
      }
      download(`ironflow-${userId}-${stamp}-sets.csv`, "text/csv", workoutsCsv(workouts));
      return `Exported the sets of ${workouts.length} workout${workouts.length === 1 ? "" : "s"}.`;
    });

  const importFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = ""; // the same file may be picked again
    if (!file) return;
    void work("Import", async () => describeImport(await device.importData(JSON.parse(await file.text()))));
  };

  return (
    <section className="data" aria-labelledby="data-heading">
      <h2 id="data-heading">Your data</h2>
      <div className="card">
        <h3>Export</h3>
        <p className="hint">Everything you logged, with its history, as one JSON file you can import again; or every set as CSV for a spreadsheet.</p>
        <div className="activity-actions">
          <button type="button" className="button button-primary" disabled={busy !== null} onClick={() => void exportJson()}>
            Export JSON
          </button>
          <button type="button" className="button button-secondary" disabled={busy !== null} onClick={() => void exportCsv()}>
            Export CSV
          </button>
        </div>
      </div>
      <div className="card">
        <h3>Import</h3>
        <p className="hint">Brings back an IronFlow JSON export. What this device already has is not added twice.</p>
        <label className="button button-secondary file-button">
          Import a JSON export
          <input type="file" accept="application/json,.json" className="visually-hidden" disabled={busy !== null} onChange={importFile} />
        </label>
      </div>
      {busy && <p role="status">{busy}ing…</p>}
      {message && (
        <p className={message.tone === "error" ? "form-error" : "ok-message"} role={message.tone === "error" ? "alert" : "status"} data-testid="data-message">
          {message.text}
        </p>
      )}
    </section>
  );
}

function describeImport(report: ImportReport): string {
  const parts = [`${report.added} added`, `${report.merged} updated`, `${report.unchanged} already here`];
  const [firstRefused] = report.refused;
  if (firstRefused) parts.push(`${report.refused.length} refused (${firstRefused.reason})`);
  return `Imported: ${parts.join(", ")}.`;
}
