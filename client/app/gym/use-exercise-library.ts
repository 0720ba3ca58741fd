// The exercise library the relay publishes (exercise_definition entities every device syncs):
// read once per change of the set of definitions, for the picker's search by name and muscle group.
import { useEffect, useState } from "react";
import type { AppDevice } from "../device/app-device.js";
import { useDeviceVersion } from "../use-device-version.js";

export interface LibraryExercise {
  id: string;
  name: string;
  muscleGroups: string[];
  equipment: string;
}

export function useExerciseLibrary(device: AppDevice): LibraryExercise[] {
  useDeviceVersion(device);
  const ids = device
    .list("exercise_definition")
    .map((d) => `${d.id}@${d.serverVersion}`)
    .join(",");
  const [library, setLibrary] = useState<LibraryExercise[]>([]);
  useEffect(() => {
    let current = true;
    const wanted = ids === "" ? [] : ids.split(",").map((entry) => entry.split("@")[0] ?? "");
    void Promise.all(wanted.map((id) => device.read<"exercise_definition">(id).catch(() => undefined))).then((found) => {
      if (!current) return;
      const list = found.flatMap((f) => (f && !f.doc.deleted ? [{ id: f.doc.id, ...f.doc.payload }] : []));
      setLibrary(list.sort((a, b) => a.name.localeCompare(b.name)));
    });
    return () => {
      current = false;
    };
  }, [device, ids]);
  return library;
}
