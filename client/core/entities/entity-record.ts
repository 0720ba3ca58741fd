// What the device keeps beside each entity's document: sync metadata, the summary a list draws
// from, and a copy of the document's resolution records, so neither a list nor the activity of
// automatic resolutions ever loads a document.
// Specification: docs/data-model.md
import type { EntitySummary, EntityType, Resolution } from "../../../schema/entities.js";

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
  /** The document's resolution records (absent in records written before they existed). */
  resolutions?: Resolution[];
  /**
   * The highest schema version the document's history names (schema/document-version.ts);
   * absent in records written before versions existed, until the document is next read.
   */
  schemaVersion?: number;
  /**
   * Heads of the document in storage when this record was written, after the document: a queue
   * item that announced these heads was stored whole, so opening the device need not load the
   * document to check it (device.ts). Absent when the document was not at hand, and in records
   * written before it existed: the document is checked then.
   */
  storedHeads?: string[];
}
