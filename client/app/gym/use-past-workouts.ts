// The person's recent workouts, read from the device store: what the set rows' "Previous"
// column, pre-filled sets and the exercise picker's "recently used" draw from. Read again only
// when the set of workouts changes (one is added, deleted or synced in), not on every edit.
import { useEffect, useState } from "react";
import type { AppDevice } from "../device/app-device.js";
import { useDeviceVersion } from "../use-device-version.js";
import type { PastWorkout } from "./training-history.js";

/** Enough sessions for every exercise of a usual week's split; older history is on the exercise's page. */
const RECENT = 40;

export function usePastWorkouts(device: AppDevice, limit = RECENT): PastWorkout[] | undefined {
  useDeviceVersion(device);
  const ids = device
    .list("workout")
    .slice(0, limit)
    .map((w) => `${w.id}@${w.serverVersion}`)
    .join(",");
  const [workouts, setWorkouts] = useState<{ key: string; list: PastWorkout[] }>();
  useEffect(() => {
    let current = true;
    const wanted = ids === "" ? [] : ids.split(",").map((entry) => entry.split("@")[0] ?? "");
    void Promise.all(wanted.map((id) => device.read<"workout">(id).catch(() => undefined))).then((found) => {
      if (!current) return;
      const list = found.flatMap((f) => (f && !f.doc.deleted ? [{ id: f.doc.id, payload: f.doc.payload }] : []));
      setWorkouts({ key: ids, list });
    });
    return () => {
      current = false;
    };
  }, [device, ids]);
  return workouts?.list;
}
