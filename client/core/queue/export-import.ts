// All of the person's data in one JSON file, and back. Each entity travels with its whole
// Automerge history, so importing into the same account merges the same history (nothing is
// duplicated, nothing changes) and importing into another account creates the same entities
// there. What an import adds is queued like any local change.
// Specification: docs/device-storage.md
import { z } from "zod";
import { ENTITY_TYPES, entityIdSchema, type EntityType } from "../../../schema/entities.js";
import { Code, SyncError } from "../../../schema/status.js";
import { CONFLICT_STRATEGIES } from "../../../schema/strategies.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { Mutex } from "../storage/write-lock.js";
import type { SyncQueue } from "./sync-queue.js";
import { fromBase64, toBase64 } from "./base64.js";

export const EXPORT_FORMAT = "ironflow-export";

const exportFileSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(1),
  exportedAt: z.number(),
  entities: z.array(
    z.object({
      type: z.enum(ENTITY_TYPES),
      id: entityIdSchema,
      /** The document as JSON, for people and other tools; the import reads `automerge`. */
      data: z.unknown(),
      /** The whole document (its history), base64. */
      automerge: z.string(),
    }),
  ),
});

export type ExportFile = z.infer<typeof exportFileSchema>;

export interface ImportReport {
  /** Entities this device did not have. */
  added: number;
  /** Entities whose history the file extended. */
  merged: number;
  /** Entities the device already had exactly. */
  unchanged: number;
  refused: { id: string; reason: string }[];
}

export class DataTransfer {
  constructor(
    private readonly entities: EntityStore,
    private readonly queue: SyncQueue,
    private readonly lock: Mutex,
    private readonly now: () => number,
  ) {}

  /** Every entity the person owns (deleted ones too: their history is theirs), not the relay's library. */
  async exportAll(): Promise<ExportFile> {
    const entities: ExportFile["entities"] = [];
    for (const record of this.entities.allRecords()) {
      if (!CONFLICT_STRATEGIES[record.type].deviceWritable) continue;
      const [data, bytes] = await Promise.all([this.entities.json(record.id), this.entities.save(record.id)]);
      entities.push({ type: record.type, id: record.id, data, automerge: toBase64(bytes) });
      this.entities.release(record.id);
    }
    return { format: EXPORT_FORMAT, version: 1, exportedAt: this.now(), entities };
  }

  async importAll(file: unknown): Promise<ImportReport> {
    const parsed = exportFileSchema.safeParse(file);
    if (!parsed.success) throw new SyncError(Code.INVALID_ARGUMENT, `not an IronFlow export: ${parsed.error.issues[0]?.message ?? "unreadable"}`);
    const report: ImportReport = { added: 0, merged: 0, unchanged: 0, refused: [] };
    for (const entity of parsed.data.entities) {
      if (!CONFLICT_STRATEGIES[entity.type].deviceWritable) continue;
      try {
        await this.lock.run(() => this.importOne(entity.type, entity.id, fromBase64(entity.automerge, "the entity's history is not base64"), report));
      } catch (err) {
        report.refused.push({ id: entity.id, reason: err instanceof Error ? err.message : String(err) });
      }
    }
    return report;
  }

  private async importOne(type: EntityType, id: string, bytes: Uint8Array, report: ImportReport): Promise<void> {
    report[await this.takeIn(type, id, bytes)] += 1;
  }

  /**
   * Takes one whole document in from outside the relay (an import, a LAN peer); the caller holds the lock:
   * merged (the same history adds nothing) or adopted, validated against its type, and queued
   * like a local change on the relay's version this device knows, so it reaches the relay too.
   */
  async takeIn(type: EntityType, id: string, bytes: Uint8Array): Promise<"added" | "merged" | "unchanged"> {
    const had = this.entities.record(id);
    if (had && had.type !== type) throw new SyncError(Code.INVALID_ARGUMENT, `this device has ${id} as a ${had.type}`);
    const { changed } = await this.entities.takeIn(type, id, bytes, () => this.queueIntent(type, id));
    this.entities.release(id);
    if (!changed) return "unchanged";
    // Written after the document and its record: the heads they stored say it landed whole.
    const record = this.entities.requireRecord(id);
    await this.queue.recordLocalChange({ entityType: type, entityId: id, operation: had ? "update" : "create", timestamp: this.now(), version: record.serverVersion, heads: record.storedHeads });
    return had ? "merged" : "added";
  }

  /** Queued before the document is written, as every local change is (local-changes.ts). */
  private async queueIntent(type: EntityType, id: string): Promise<void> {
    const record = this.entities.record(id);
    await this.queue.recordLocalChange({ entityType: type, entityId: id, operation: record ? "update" : "create", timestamp: this.now(), version: record?.serverVersion ?? 0 });
  }
}
