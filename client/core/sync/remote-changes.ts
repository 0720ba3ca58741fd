// Bringing the relay's versions onto this device: a new entity is adopted, a newer version of a
// known one is settled by history (fast-forward, already merged, or concurrent: the strategy).
import * as A from "@automerge/automerge";
import { isEntityType, summarize, type EntityDocument } from "../../../schema/entities.js";
import type { EntitySnapshot } from "../../../schema/protocol/frames.js";
import type { ConflictSettler } from "../conflicts/settle.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { Mutex } from "./mutex.js";
import { reconcile } from "./reconcile.js";
import type { SyncQueue } from "./sync-queue.js";

export interface RemoteChangesOptions {
  entities: EntityStore;
  queue: SyncQueue;
  settler: ConflictSettler;
  lock: Mutex;
  /** Whether this device already had the exercise library (then changes to it are news). */
  hasLibrary(): boolean;
  onAdopted(id: string): Promise<void>;
  onLibraryChange(id: string, change: "added" | "updated"): Promise<void>;
}

export class RemoteChanges {
  constructor(private readonly o: RemoteChangesOptions) {}

  /**
   * "applied" when the snapshot changed something on this device, "unchanged" when it had it,
   * "needs_snapshot" when a fan-out's changes do not apply here (this device is not on their
   * base version, or has unsynced changes): the caller pulls the whole document.
   */
  async applySnapshot(snapshot: EntitySnapshot): Promise<"applied" | "unchanged" | "needs_snapshot"> {
    if (!isEntityType(snapshot.entityType)) return "unchanged";
    const id = snapshot.entityId;
    const record = this.o.entities.record(id);
    if (record && snapshot.version <= record.serverVersion) return "unchanged";
    const libraryChange = snapshot.entityType === "exercise_definition" && (record || this.o.hasLibrary());
    const serverTime = Number(snapshot.serverTime);
    // A fan-out of a create carries the whole history: it is a document like any snapshot.
    const bytes = snapshot.data.length > 0 ? snapshot.data : snapshot.baseVersion === 0 && !record ? snapshot.changes : undefined;
    if (!bytes) {
      const item = this.o.queue.get(id);
      const clean = !item || item.status === "synced";
      if (!record || record.serverVersion !== snapshot.baseVersion || !clean) return "needs_snapshot";
      const doc = await this.o.entities.applyChanges(id, snapshot.changes);
      if (!doc) return "needs_snapshot";
      await this.o.entities.putRecord({ ...record, serverVersion: snapshot.version, syncedHeads: A.getHeads(doc as A.Doc<unknown>), serverTime, summary: summarize(doc) });
    } else if (!record) {
      const doc = await this.o.entities.adopt(snapshot.entityType, id, bytes);
      const adopted = this.o.entities.record(id)!;
      await this.o.entities.putRecord({ ...adopted, serverVersion: snapshot.version, syncedHeads: A.getHeads(doc as A.Doc<unknown>), serverTime });
      await this.o.onAdopted(id);
    } else {
      await this.applyServerVersion(id, bytes, snapshot.version, serverTime);
    }
    if (libraryChange) await this.o.onLibraryChange(id, record ? "updated" : "added");
    return "applied";
  }

  /**
   * Brings a newer relay version of a known entity onto this device. Returns true when it
   * could not be settled by history and became a conflict for the person.
   */
  async applyServerVersion(id: string, bytes: Uint8Array, version: number, serverTime: number): Promise<boolean> {
    const record = this.o.entities.record(id)!;
    const server = A.load<EntityDocument>(bytes);
    const serverHeads = A.getHeads(server);
    const local = await this.o.entities.doc(id);
    try {
      switch (reconcile(local, server).kind) {
        case "fast_forward": {
          const doc = await this.o.entities.merge(id, server);
          await this.o.entities.putRecord({ ...record, serverVersion: version, syncedHeads: serverHeads, serverTime, summary: summarize(doc) });
          await this.o.queue.update(id, { status: "synced", version, retryCount: 0, nextAttemptAt: null, lastError: null, conflict: null });
          return false;
        }
        case "already_merged":
          await this.o.entities.putRecord({ ...record, serverVersion: version, syncedHeads: serverHeads, serverTime });
          await this.o.queue.update(id, { status: "pending", version, conflict: null });
          return false;
        case "concurrent":
          return await this.o.settler.concurrent(id, { doc: server, bytes, version, serverTime });
      }
    } finally {
      A.free(server);
    }
  }
}
