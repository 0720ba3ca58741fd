// What waits for the person, counted the same way on the status bar, the screen tabs and the prompts.
import type { DeviceReads } from "./device/app-device.js";

export interface NeedsPerson {
  /** Workouts and progressions changed on two devices: the person chooses. */
  conflicts: number;
  /** Pairs of workouts logged for the same time. */
  duplicates: number;
  /** Automatic resolutions and library updates not seen on this device yet. */
  unseen: number;
  /** Changes the relay refused (validation, permission). */
  refused: number;
}

export function needsPerson(device: DeviceReads): NeedsPerson {
  const queue = device.queueItems();
  return {
    conflicts: queue.filter((item) => item.status === "conflict").length,
    duplicates: device.duplicates().length,
    unseen: device.resolutions().filter((r) => !r.seen).length + device.libraryNotices().length,
    refused: queue.filter((item) => item.status === "error").length,
  };
}
