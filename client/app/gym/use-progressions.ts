// The person's progressions, one per exercise, read from the device store with each one's sync
// state ("conflict": changed on two devices, the person chooses on the Review screen). Read again
// whenever the device says something changed: a person has a few dozen at most.
import { useEffect, useState } from "react";
import type { EntitySyncState } from "../../core/index.js";
import type { AppDevice } from "../device/app-device.js";
import { useDeviceVersion } from "../use-device-version.js";
import type { Progression } from "./progression-plan.js";

export interface StoredProgression {
  id: string;
  payload: Progression;
  syncState: EntitySyncState;
}

export function useProgressions(device: AppDevice): StoredProgression[] | undefined {
  const version = useDeviceVersion(device);
  const [list, setList] = useState<StoredProgression[]>();
  useEffect(() => {
    let current = true;
    const items = device.list("progression");
    void Promise.all(items.map((item) => device.read<"progression">(item.id).catch(() => undefined))).then((found) => {
      if (!current) return;
      const read = found.flatMap((f, i) =>
        f && !f.doc.deleted ? [{ id: f.doc.id, payload: f.doc.payload, syncState: items[i]?.syncState ?? "synced" }] : [],
      );
      setList(read.sort((a, b) => a.payload.exerciseName.localeCompare(b.payload.exerciseName)));
    });
    return () => {
      current = false;
    };
  }, [device, version]);
  return list;
}
