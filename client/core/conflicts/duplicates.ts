// Two workouts logged for the same minute on two devices: flagged as a possible duplicate, and
// settled the way the person says (keep both, delete one, or merge one into the other).
// Specification: docs/conflicts.md
import { Code, SyncError } from "../../../schema/status.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { LocalChanges } from "../queue/local-changes.js";
import type { NoticeBoard } from "./notice-board.js";
import type { DuplicateFlag } from "./notices.js";

/**
 * `shown`: each workout's heads as the screen showed them. A change that reaches the deleted one
 * after that is kept in a record (edit lost to delete), not taken silently.
 */
export type DuplicateAction = { kind: "keep_both" } | { kind: "delete" | "merge"; keep: string; shown?: Record<string, string[]> };

export class Duplicates {
  constructor(
    private readonly board: NoticeBoard,
    private readonly entities: EntityStore,
    private readonly changes: LocalChanges,
    private readonly now: () => number,
  ) {}

  list(): DuplicateFlag[] {
    return this.board.allDuplicates();
  }

  /** Flags `id` against every other live workout of the same minute; true when a flag was raised. */
  check(id: string): Promise<boolean> {
    const record = this.entities.record(id);
    return record ? this.board.checkDuplicate(record, this.entities.allRecords(), this.now()) : Promise.resolve(false);
  }

  /** Keeps both as they are, or deletes one, or merges the other's exercises into `keep` and deletes the other. */
  async resolve(flagId: string, action: DuplicateAction): Promise<void> {
    const flag = this.board.duplicate(flagId);
    if (!flag) throw new SyncError(Code.NOT_FOUND, `no duplicate flag ${flagId}`);
    if (action.kind !== "keep_both") {
      const other = flag.entityIds.find((id) => id !== action.keep);
      if (!other || !flag.entityIds.includes(action.keep)) throw new SyncError(Code.INVALID_ARGUMENT, "keep must be one of the pair");
      let basedOn = action.shown?.[other];
      if (action.kind === "merge") {
        const { doc: source, heads } = await this.entities.jsonWithHeads(other);
        // What is merged is what was read; a change arriving after the read is the delete's to record.
        basedOn = heads;
        await this.changes.change(action.keep, "update", (doc) => {
          if (doc.type !== "workout" || source.type !== "workout") return;
          const known = new Set(doc.payload.exercises.map((e) => e.id));
          for (const exercise of source.payload.exercises) if (!known.has(exercise.id)) doc.payload.exercises.push(structuredClone(exercise));
        }, { refuseDeleted: true });
      }
      await this.changes.delete(other, { basedOn });
    }
    await this.board.dismissDuplicate(flagId);
  }
}
