// The week's working sets per muscle group against the weekly target: a bar chart (chart.js) and
// the same numbers as a table, which is what screen readers read (the canvas is one labelled image).
import { useEffect, useRef } from "react";
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale } from "chart.js";
import type { AppDevice } from "../device/app-device.js";
import { useExerciseLibrary } from "./use-exercise-library.js";
import { usePastWorkouts } from "./use-past-workouts.js";
import { routeHref } from "../use-route.js";
import { recentExerciseNames } from "./training-history.js";
import { isoDay, thisWeek, weekStart, weeklyVolume, type VolumeRow } from "./weekly-volume.js";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend);

export function VolumeScreen({ device }: { device: AppDevice }) {
  const workouts = usePastWorkouts(device);
  const library = useExerciseLibrary(device);
  if (!workouts) return <p className="empty">Opening…</p>;
  const now = Date.now();
  const rows = weeklyVolume(workouts, library, now);
  return (
    <section className="card" aria-labelledby="volume-title">
      <h2 id="volume-title">Volume, week of {isoDay(weekStart(now))}</h2>
      {rows.length === 0 ? (
        <p className="empty">No sets logged this week yet.</p>
      ) : (
        <>
          <VolumeChart rows={rows} />
          <table className="volume-table" data-testid="volume-table">
            <caption>Completed sets per muscle group this week</caption>
            <thead>
              <tr>
                <th scope="col">Muscle group</th>
                <th scope="col">Sets</th>
                <th scope="col">Target</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.muscleGroup}>
                  <th scope="row">{row.muscleGroup}</th>
                  <td>{row.sets}</td>
                  <td>{row.target}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Exercises this week</h3>
          <ul className="volume-exercises">
            {recentExerciseNames(thisWeek(workouts, now)).map((name) => (
              <li key={name}>
                <a className="link-button" href={routeHref({ screen: "exercise", name })}>
                  {name} history
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function VolumeChart({ rows }: { rows: VolumeRow[] }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const key = JSON.stringify(rows);
  useEffect(() => {
    if (!canvas.current) return;
    const data: VolumeRow[] = JSON.parse(key) as VolumeRow[];
    const text = getComputedStyle(canvas.current).color;
    const chart = new Chart(canvas.current, {
      type: "bar",
      data: {
        labels: data.map((r) => r.muscleGroup),
        datasets: [
          { label: "Sets", data: data.map((r) => r.sets), backgroundColor: "#2f6fdf" },
          { label: "Target", data: data.map((r) => r.target), backgroundColor: "rgba(128, 128, 128, 0.45)" },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { color: text, precision: 0 } }, y: { ticks: { color: text } } },
        plugins: { legend: { labels: { color: text } } },
      },
    });
    return () => chart.destroy();
  }, [key]);
  const summary = rows.map((r) => `${r.muscleGroup} ${r.sets} of ${r.target}`).join(", ");
  return (
    <div className="volume-chart" style={{ height: `${Math.max(160, 48 * rows.length + 60)}px` }}>
      <canvas ref={canvas} role="img" aria-label={`Sets this week against target: ${summary}`} data-testid="volume-chart" />
    </div>
  );
}
