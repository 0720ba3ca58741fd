// The person's view of every automatic resolution: the records inside the documents (read from
// the entity records, so no document is loaded), whether this device has shown them, and the
// restore action.
// Specification: docs/conflicts.md
import type { EntityType, Resolution } from "../../../schema/entities.js";
import { Code, SyncError } from "../../../schema/status.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { LocalChanges } from "../queue/local-changes.js";
import type { NoticeBoard } from "./notice-board.js";
import { restoreResolution } from "./restore.js";

/** A resolution record with the entity it belongs to and what this device knows of it. */
export interface ResolutionEntry extends Resolution {
  entityId: string;
  entityType: EntityType;
  /** The person has seen it on this device. */
  seen: boolean;
  /** Whether restoring it would bring something back (not restored yet, and something was lost). */
  restorable: boolean;
}

const RESTORABLE: ReadonlySet<Resolution["kind"]> = new Set(["overwritten", "edit_lost_to_delete", "dropped_by_merge"]);

export class ResolutionLog {
  constructor(
    private readonly entities: EntityStore,
    private readonly board: NoticeBoard,
    private readonly changes: LocalChanges,
    private readonly now: () => number,
  ) {}

  /** Every record of every entity (deleted ones included), newest first. */
  list(): ResolutionEntry[] {
    return this.entities
      .allRecords()
      .flatMap((record) =>
        (record.resolutions ?? []).map((r): ResolutionEntry => ({
          ...r,
          entityId: record.id,
          entityType: record.type,
          seen: this.board.isSeen(r.id),
          restorable: r.restoredAt === null && RESTORABLE.has(r.kind),
        })),
      )
      .sort((a, b) => b.at - a.at);
  }

  /** Brings back what the record lists, on top of the document as it is now (also a deleted one). */
  async restore(resolutionId: string): Promise<void> {
    const entry = this.list().find((r) => r.id === resolutionId);
    if (!entry) throw new SyncError(Code.NOT_FOUND, `no resolution ${resolutionId}`);
    await this.changes.change(entry.entityId, "update", (doc) => restoreResolution(doc, resolutionId, this.now()));
    await this.board.markSeen([resolutionId]);
  }

  markSeen(ids: string[] = this.list().map((r) => r.id)): Promise<void> {
    return this.board.markSeen(ids);
  }
}
