// The sync queue's records: one per entity with unsynced changes, kept in the device's storage
// (storage/record-store.ts) beside the Automerge documents.
// Specification: docs/sync-engine.md
import type { EntityType } from "../../../schema/entities.js";

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
  /**
   * The entity's JSON after its latest local change: written by earlier builds only, and read by
   * none (a push is computed from the document or from `unsynced`). Opening the device read and
   * decrypted a copy of every waiting document for it; the queue drops it when it loads an item.
   */
  data?: unknown;
  /** When the latest local change was made (device clock, ms). */
  timestamp: number;
  /** The server version the pending changes build on. */
  version: number;
  status: QueueStatus;
  /** Failed attempts since the last success. After the first and five retries, a manual sync. */
  retryCount: number;
  /** When a failed item is due again (retry schedule with jitter); null = now, or manual only. New work resets it. */
  nextAttemptAt: number | null;
  lastError: { code: string; message: string; at: number } | null;
  conflict: ConflictRecord | null;
  /**
   * The entity's changes since `base` (its record's synced heads when the latest local change was
   * made), up to `heads`, kept when the change is made so a push never loads or diffs the
   * document. Used only while `base` is still the record's synced heads; dropped (null) by a
   * settlement or merge that queues work, and checked against the document when the device opens
   * after a stop (device.ts). Absent in items written before it existed.
   */
  unsynced?: UnsyncedChanges | null;
  /**
   * Heads of the document once the change this item announces is stored (the item is written
   * first). Matching its record's `storedHeads`, the change landed whole. Absent for work queued
   * by other means than a local change, and in items written before it existed.
   */
  heads?: string[];
}

export interface UnsyncedChanges {
  base: string[];
  heads: string[];
  /** Automerge changes (A.save when `base` is empty), base64. */
  changes: string;
}
