// What the person is told about on this device only, kept in its storage. What was resolved
// without asking is not here: those are resolution records inside the documents (they sync).
// Specification: docs/conflicts.md
import type { DeviceRef, EntityType } from "../../../schema/entities.js";

/** The relay's exercise library added or changed an exercise (every device hears it itself). */
export interface LibraryNotice {
  id: string;
  kind: "library_updated";
  entityId: string;
  entityType: EntityType;
  change: "added" | "updated";
  at: number;
}

/** Two workouts logged for the same time on different devices: maybe one session twice. */
export interface DuplicateFlag {
  id: string;
  entityType: EntityType;
  entityIds: [string, string];
  /** The devices that created each, in the order of entityIds (absent in flags raised before they were kept). */
  devices?: [DeviceRef | null, DeviceRef | null];
  at: number;
}
