// Settling a concurrent change: merge the relay's document into this device's, make the result
// what the strategy (or the person) chose, and queue it to push on the relay's version. A choice
// made against a version that has since moved on meets a CONFLICT again at the relay and is
// checked again, never forced over the newer change.
import * as A from "@automerge/automerge";
import type { EntityDocument } from "../../../schema/entities.js";
import { Code, SyncError } from "../../../schema/status.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { BlobStore } from "../storage/records.js";
import type { ConflictRecord } from "../sync/records.js";
import type { SyncQueue } from "../sync/sync-queue.js";
import { planResolution } from "./plan-resolution.js";
import { deepEqual } from "../../../schema/json.js";
import type { WorkoutSet } from "../../../schema/entities.js";
import { dropRepeatedIds } from "../entities/json-diff.js";
import type { NoticeBoard } from "./notice-board.js";
import type { ConflictChoice } from "./records.js";

export interface ServerVersion {
  doc: A.Doc<EntityDocument>;
  bytes: Uint8Array;
  version: number;
  serverTime: number;
}

export class ConflictSettler {
  constructor(
    private readonly entities: EntityStore,
    private readonly queue: SyncQueue,
    private readonly board: NoticeBoard,
    private readonly conflictDocs: BlobStore,
    private readonly now: () => number,
  ) {}

  /** Returns true when the person must choose (a conflict record was kept). */
  async concurrent(id: string, server: ServerVersion): Promise<boolean> {
    const record = this.entities.record(id)!;
    const local = await this.entities.doc(id);
    const localJson = A.toJS(local as A.Doc<EntityDocument>) as EntityDocument;
    const serverJson = A.toJS(server.doc) as EntityDocument;
    const base =
      record.syncedHeads.length > 0
        ? (A.toJS(A.view(local as A.Doc<EntityDocument>, record.syncedHeads)) as EntityDocument)
        : undefined;
    const plan = planResolution({
      base,
      local: { doc: localJson, baseVersion: record.serverVersion },
      server: { doc: serverJson, baseVersion: server.version - 1 },
    });
    if (plan.kind === "ask") {
      await this.keepBoth(id, server, localJson, A.getHeads(local as A.Doc<unknown>));
      return true;
    }
    await this.settle(id, server, (doc) => {
      doc.payload = structuredClone(plan.payload) as EntityDocument["payload"];
      doc.deleted = structuredClone(plan.deleted);
    });
    for (const notice of plan.notices) {
      const id_ = `${id}:${server.version}:${notice.path}`;
      await this.board.addNotice({ id: id_, entityId: id, entityType: record.type, at: this.now(), ...notice });
    }
    return false;
  }

  /** The person's choice for a kept conflict. */
  async choose(id: string, choice: ConflictChoice): Promise<void> {
    const item = this.queue.get(id);
    const conflict = item?.conflict;
    const bytes = await this.conflictDocs.load(id);
    if (!item || item.status !== "conflict" || !conflict || !bytes) {
      throw new SyncError(Code.FAILED_PRECONDITION, `entity ${id} has no open conflict`);
    }
    const server = A.load<EntityDocument>(bytes);
    try {
      const local = (await this.entities.doc(id)) as A.Doc<EntityDocument>;
      const mine = A.toJS(local) as EntityDocument;
      const theirs = A.toJS(server) as EntityDocument;
      const record = this.entities.record(id)!;
      const base = record.syncedHeads.length > 0 ? (A.toJS(A.view(local, record.syncedHeads)) as EntityDocument) : undefined;
      const target = choice === "mine" ? mine : choice === "theirs" ? theirs : undefined;
      const settled = await this.settle(id, { doc: server, bytes, version: conflict.serverVersion, serverTime: conflict.serverTime ?? 0 }, (doc) => {
        if (!target) return; // "merge": Automerge's merge of both, as it stands
        doc.payload = structuredClone(target.payload);
        doc.deleted = structuredClone(target.deleted);
      });
      if (choice === "merge") await this.noticeDroppedSets(id, settled, base, [mine, theirs]);
      await this.conflictDocs.remove(id);
    } finally {
      A.free(server);
    }
  }

  /**
   * Automerge's merge drops an insertion into a list the other side deleted (a set logged into
   * an exercise the other device removed). Sets new or changed on either side that the merge
   * dropped go into a notice the person can restore them from.
   */
  private async noticeDroppedSets(id: string, merged: EntityDocument, base: EntityDocument | undefined, sides: EntityDocument[]): Promise<void> {
    if (merged.type !== "workout") return;
    const inMerged = new Set(setsOf(merged).map((s) => s.set.id));
    const baseSets = new Map(base ? setsOf(base).map((s) => [s.set.id, s.set]) : []);
    const dropped = new Map<string, DroppedSet>();
    for (const side of sides) {
      for (const entry of setsOf(side)) {
        const before = baseSets.get(entry.set.id);
        const changedOnThisSide = !before || !deepEqual(before, entry.set);
        if (!inMerged.has(entry.set.id) && changedOnThisSide) dropped.set(entry.set.id, entry);
      }
    }
    if (dropped.size === 0) return;
    const noticeId = `${id}:merge:${this.now()}`;
    await this.board.addNotice({ id: noticeId, kind: "dropped_by_merge", entityId: id, entityType: "workout", lost: [...dropped.values()], path: "sets", losingDeviceId: "", at: this.now() });
  }

  private async settle(id: string, server: ServerVersion, mutate: (doc: EntityDocument) => void): Promise<EntityDocument> {
    const { doc, record } = await this.entities.mergeThenChange(id, server.doc, (plain) => {
      mutate(plain);
      // Two merges that each brought the same set back leave two copies: keep the first.
      dropRepeatedIds(plain.payload);
    });
    await this.entities.putRecord({
      ...record,
      serverVersion: server.version,
      syncedHeads: A.getHeads(server.doc),
      serverTime: server.serverTime,
    });
    await this.queue.update(id, { status: "pending", version: server.version, conflict: null });
    return doc;
  }

  private async keepBoth(id: string, server: ServerVersion, localJson: EntityDocument, localHeads: string[]): Promise<void> {
    await this.conflictDocs.save(id, server.bytes);
    const conflict: ConflictRecord = {
      serverVersion: server.version,
      serverHeads: A.getHeads(server.doc),
      serverTime: server.serverTime,
      serverDeviceId: server.doc.deviceId,
      serverDeviceName: server.doc.deviceName,
      serverChangedAt: server.doc.updatedAt,
      serverData: A.toJS(server.doc),
      localData: localJson,
      localHeads,
      detectedAt: this.now(),
    };
    await this.queue.update(id, { status: "conflict", conflict });
  }
}

/** A set a merge dropped, with the exercise it belonged to, so it can be put back. */
export interface DroppedSet {
  exerciseId: string;
  exerciseName: string;
  set: WorkoutSet;
}

function setsOf(doc: EntityDocument): DroppedSet[] {
  if (doc.type !== "workout") return [];
  return doc.payload.exercises.flatMap((e) => e.sets.map((set) => ({ exerciseId: e.id, exerciseName: e.name, set })));
}
