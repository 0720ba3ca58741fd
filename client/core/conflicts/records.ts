// What the person is told about and can act on, kept in the device's storage.
import type { EntityType } from "../../../schema/entities.js";
import type { NoticeKind } from "./plan-resolution.js";

/** Something resolved without the person that they should be able to see (and undo). */
export interface Notice {
  id: string;
  kind: NoticeKind;
  entityId: string;
  entityType: EntityType;
  /** What lost: a payload, or one part of it named by `path`. */
  lost: unknown;
  path: string;
  losingDeviceId: string;
  at: number;
}

/** Two workouts logged for the same time on different devices: maybe one session twice. */
export interface DuplicateFlag {
  id: string;
  entityType: EntityType;
  entityIds: [string, string];
  at: number;
}

export type ConflictChoice = "mine" | "theirs" | "merge";
