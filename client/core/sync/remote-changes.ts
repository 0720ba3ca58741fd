// Bringing the relay's versions onto this device: a new entity is adopted, a newer version of a
// known one is settled by history (fast-forward, already merged, or concurrent: the strategy).
// Specification: docs/conflicts.md
import * as A from "@automerge/automerge";
import { hasHistory } from "../../../schema/automerge-history.js";
import { SchemaTooNew } from "../../../schema/document-version.js";
import { isEntityType } from "../../../schema/entities.js";
import { codeName } from "../../../schema/status.js";
import type { EntitySnapshot } from "../../../schema/protocol/frames.js";
import { ResolutionKind } from "../../../schema/protocol/frames.js";
import { reconcile } from "../conflicts/reconcile.js";
import type { ResolutionTally } from "../conflicts/resolution-tally.js";
import type { ConflictSettler } from "../conflicts/settle.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { SyncQueue } from "../queue/sync-queue.js";
import type { BlobStore } from "../storage/record-store.js";

export interface RemoteChangesOptions {
  entities: EntityStore;
  queue: SyncQueue;
  settler: ConflictSettler;
  conflictDocs: BlobStore;
  /** Counts the fast-forwards and already-merged versions (the settler counts the rest). */
  tally: ResolutionTally;
  /** Whether this device already had the exercise library (then changes to it are news). */
  hasLibrary(): boolean;
  /** The device's clock, corrected to the relay's. */
  now(): number;
  onAdopted(id: string): Promise<void>;
  onLibraryChange(id: string, change: "added" | "updated"): Promise<void>;
  /** Something new is queued to push (a settlement, a merge that a peer had carried): push it now. */
  onNewWork(): void;
}

export type SnapshotOutcome = "applied" | "unchanged" | "needs_snapshot";

export class RemoteChanges {
  constructor(private readonly o: RemoteChangesOptions) {}

  /**
   * "applied" when the snapshot changed something on this device, "unchanged" when it had it,
   * "needs_snapshot" when a fan-out's changes do not apply here (this device is not on their
   * base version, or has unsynced changes): the caller pulls the whole document.
   */
  async applySnapshot(snapshot: EntitySnapshot): Promise<SnapshotOutcome> {
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
      // The document and its record at the relay's version: one write of each.
      const doc = await this.o.entities.applyChanges(id, snapshot.changes, { serverVersion: snapshot.version, serverTime });
      if (!doc) return "needs_snapshot";
    } else if (!record) {
      await this.o.entities.adopt(snapshot.entityType, id, bytes, { serverVersion: snapshot.version, serverTime });
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
    const localHeads = await this.o.entities.heads(id);
    const server = A.load(bytes);
    const serverHeads = A.getHeads(server);
    const serverHasLocal = hasHistory(server, localHeads);
    A.free(server);
    const localHasServer = await this.o.entities.has(id, serverHeads);
    const sync = { serverVersion: version, syncedHeads: serverHeads, serverTime };
    switch (reconcile({ serverHasLocal, localHasServer }).kind) {
      case "fast_forward": {
        // Counted as a settlement only when this device had changes of its own to push (a lost
        // ack): a device that was merely behind just caught up.
        const hadChanges = (this.o.queue.get(id)?.status ?? "synced") !== "synced";
        await this.o.entities.mergeIn(id, bytes, sync);
        const record = this.o.entities.requireRecord(id);
        if (this.o.queue.get(id)?.status === "conflict") await this.o.conflictDocs.remove(id);
        await this.o.queue.update(id, { status: "synced", version, retryCount: 0, nextAttemptAt: null, lastError: null, conflict: null });
        if (hadChanges) this.o.tally.record(record.type, ResolutionKind.FAST_FORWARD);
        return false;
      }
      case "already_merged": {
        const record = this.o.entities.requireRecord(id);
        await this.o.entities.putRecord({ ...record, ...sync });
        if (this.o.queue.get(id)?.status === "conflict") await this.o.conflictDocs.remove(id);
        await this.o.queue.markPending(id, record.type, version, serverTime);
        this.o.tally.record(record.type, ResolutionKind.ALREADY_MERGED);
        this.o.onNewWork();
        return false;
      }
      case "concurrent": {
        let asks: boolean;
        try {
          asks = await this.o.settler.concurrent(id, { bytes, version, serverTime });
        } catch (err) {
          if (!(err instanceof SchemaTooNew)) throw err;
          // The relay's version was written by a newer app: this build cannot settle it. Nothing
          // is merged or dropped (this device's document and change stay as they are, the relay
          // keeps its version); the change waits for review, and the pull goes on past it.
          await this.o.queue.update(id, { status: "error", nextAttemptAt: null, lastError: { code: codeName(err.code), message: err.message, at: this.o.now() } });
          return false;
        }
        if (!asks) this.o.onNewWork();
        return asks;
      }
    }
  }
}
