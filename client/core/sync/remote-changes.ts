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

  /** Returns true when the snapshot changed something on this device. */
  async applySnapshot(snapshot: EntitySnapshot): Promise<boolean> {
    if (!isEntityType(snapshot.entityType)) return false;
    const record = this.o.entities.record(snapshot.entityId);
    if (record && snapshot.version <= record.serverVersion) return false;
    if (snapshot.entityType === "exercise_definition" && (record || this.o.hasLibrary())) {
      await this.o.onLibraryChange(snapshot.entityId, record ? "updated" : "added");
    }
    if (!record) {
      const doc = await this.o.entities.adopt(snapshot.entityType, snapshot.entityId, snapshot.data);
      const adopted = this.o.entities.record(snapshot.entityId)!;
      await this.o.entities.putRecord({
        ...adopted,
        serverVersion: snapshot.version,
        syncedHeads: A.getHeads(doc as A.Doc<unknown>),
        serverTime: Number(snapshot.serverTime),
      });
      await this.o.onAdopted(snapshot.entityId);
      return true;
    }
    await this.applyServerVersion(snapshot.entityId, snapshot.data, snapshot.version, Number(snapshot.serverTime));
    return true;
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
