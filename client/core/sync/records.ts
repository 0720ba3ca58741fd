// What the device keeps about sync, per entity. Both are JSON records in the device's storage
// (storage/records.ts), beside the Automerge documents.
import type { EntitySummary, EntityType } from "../../../schema/entities.js";

/** Per-entity sync metadata and the summary a list draws from. */
export interface EntityRecord {
  id: string;
  type: EntityType;
  summary: EntitySummary;
  /** The relay's version this device last saw or pushed; 0 = never synced. */
  serverVersion: number;
  /** Heads of the document at serverVersion: pushes carry the changes since these. */
  syncedHeads: string[];
  /** Relay time of serverVersion, ms since epoch. */
  serverTime: number | null;
}

export type QueueStatus = "pending" | "synced" | "conflict" | "error";
export type Operation = "create" | "update" | "delete";

/** Both sides of a version conflict the device could not settle by history. */
export interface ConflictRecord {
  serverVersion: number;
  serverHeads: string[];
  serverTime: number | null;
  /** The device that made the relay's version, its name, and when it made it (its clock). */
  serverDeviceId: string;
  serverDeviceName: string;
  serverChangedAt: number;
  /** The relay's document, as JSON. Its bytes are kept in the "conflict-doc" blob. */
  serverData: unknown;
  /** This device's document when the conflict was found. */
  localData: unknown;
  localHeads: string[];
  detectedAt: number;
}

/**
 * The source's sync_queue row: one per entity, coalescing its unsynced changes (the changes
 * themselves are computed at push time, since the synced heads).
 */
export interface SyncQueueItem {
  entityType: EntityType;
  entityId: string;
  operation: Operation;
  /** The entity's JSON after its latest local change. */
  data: unknown;
  /** When the latest local change was made (device clock, ms). */
  timestamp: number;
  /** The server version the pending changes build on. */
  version: number;
  status: QueueStatus;
  /** Failed attempts since the last success. After the first and five retries, a manual sync. */
  retryCount: number;
  /** When a failed item is due again (retry schedule with jitter); null = now, or manual only. */
  nextAttemptAt: number | null;
  lastError: { code: string; message: string; at: number } | null;
  conflict: ConflictRecord | null;
}
