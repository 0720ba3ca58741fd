// The person's training settings, from their user_profile entity (one per person, synced like
// any entity) with the defaults a new person starts with: kg, 2.5 kg plates, 90 s rest.
import { useEffect, useState } from "react";
import type { EntityDocument, Payloads, WorkoutSet } from "../../core/index.js";
import type { AppDevice } from "../device/app-device.js";
import { useDeviceVersion } from "../use-device-version.js";

export type Unit = WorkoutSet["unit"];

export interface TrainingSettings {
  /** The profile entity, once there is one. */
  profileId: string | undefined;
  displayName: string;
  unit: Unit;
  /** The stepper's weight step in `unit`. */
  plateIncrement: number;
  restSeconds: number;
  /** False while the profile is being read: the values are the defaults until then. */
  loaded: boolean;
}

export const DEFAULT_REST_SECONDS = 90;
const DEFAULT_INCREMENT: Record<Unit, number> = { kg: 2.5, lb: 5 };

export function settingsOf(doc: EntityDocument<"user_profile"> | undefined): TrainingSettings {
  const payload = doc?.payload;
  const unit = payload?.preferredUnit ?? "kg";
  return {
    profileId: doc?.id,
    displayName: payload?.displayName ?? "",
    unit,
    plateIncrement: payload?.plateIncrement ?? DEFAULT_INCREMENT[unit],
    restSeconds: payload?.restSeconds ?? DEFAULT_REST_SECONDS,
    loaded: true,
  };
}

/** The weight step for a set in `unit`: the profile's when it is in the profile's unit. */
export function weightStep(settings: TrainingSettings, unit: Unit): number {
  return unit === settings.unit ? settings.plateIncrement : DEFAULT_INCREMENT[unit];
}

export function newProfile(displayName = ""): Payloads["user_profile"] {
  return { displayName, preferredUnit: "kg", bodyweight: null, goals: "" };
}

/** The settings as they are now; the defaults until the profile is read (or when there is none). */
export function useTrainingSettings(device: AppDevice): TrainingSettings {
  const version = useDeviceVersion(device);
  // The oldest profile wins when two devices each made one before they synced.
  const id = device.list("user_profile").at(-1)?.id;
  const [doc, setDoc] = useState<EntityDocument<"user_profile">>();
  useEffect(() => {
    let current = true;
    if (id === undefined) setDoc(undefined);
    else void device.read<"user_profile">(id).then((found) => current && setDoc(found?.doc), () => undefined);
    return () => {
      current = false;
    };
  }, [device, id, version]);
  return { ...settingsOf(doc?.id === id ? doc : undefined), loaded: id === undefined || doc?.id === id };
}
