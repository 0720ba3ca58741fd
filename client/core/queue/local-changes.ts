// The one write path for changes made on this device: the sync queue records the intent first,
// then the document and its record are written, all under the device's lock. A device killed in
// between finds the item queued on restart (device.ts recovers what it can), and a change
// is reported saved only once all of it is in storage.
// Specification: docs/device-storage.md
import type { EntityDocument, EntityType, Payloads } from "../../../schema/entities.js";
import { Code, SyncError } from "../../../schema/status.js";
import { CONFLICT_STRATEGIES } from "../../../schema/strategies.js";
import type { ChangeOptions, EntityStore, WrittenChange } from "../entities/entity-store.js";
import { isStorageFull } from "../storage/device-storage.js";
import type { Mutex } from "../storage/write-lock.js";
import { fromBase64, toBase64 } from "./base64.js";
import type { Operation, UnsyncedChanges } from "./queue-item.js";
import type { SyncQueue } from "./sync-queue.js";

/**
 * The most unsynced change bytes a queue item keeps. The item is rewritten whole on each change,
 * so an entity changed many times while offline would cost more per change the longer it went
 * on; past this the push computes its changes from the document instead. A workout and a week of
 * edits is a few KB.
 */
const MAX_KEPT_BYTES = 64 * 1024;

export class LocalChanges {
  constructor(
    private readonly entities: EntityStore,
    private readonly queue: SyncQueue,
    private readonly lock: Mutex,
    private readonly now: () => number,
  ) {}

  /** Creates an entity; resolves with its id once it is saved on this device. */
  create<T extends EntityType>(type: T, payload: Payloads[T]): Promise<string> {
    refuseReadOnly(type);
    return this.lock.run(async () => {
      let id: string | undefined;
      try {
        const { doc } = await this.entities.create(type, payload, async (doc, written) => {
          await this.queue.recordLocalChange({ entityType: type, entityId: doc.id, operation: "create", timestamp: this.now(), version: 0, unsynced: this.unsynced(doc.id, written), heads: written.heads });
          id = doc.id;
        });
        return doc.id;
      } catch (err) {
        if (id !== undefined) await this.forgetUnsynced(id);
        throw err;
      }
    }).catch(notSaved);
  }

  /** Changes an entity as `mutate` says; resolves once saved on this device. */
  async change(id: string, operation: Exclude<Operation, "create">, mutate: (doc: EntityDocument) => void, options: Pick<ChangeOptions, "basedOn" | "refuseDeleted"> = {}): Promise<void> {
    const record = this.entities.record(id);
    if (!record) throw new SyncError(Code.NOT_FOUND, `no entity ${id} on this device`);
    refuseReadOnly(record.type);
    await this.lock.run(async () => {
      const intent = { queued: false };
      try {
        await this.entities.change(id, mutate, {
          ...options,
          beforeWrite: async (_doc, written) => {
            const version = this.entities.requireRecord(id).serverVersion;
            await this.queue.recordLocalChange({ entityType: record.type, entityId: id, operation, timestamp: this.now(), version, unsynced: this.unsynced(id, written), heads: written.heads });
            intent.queued = true;
          },
        });
      } catch (err) {
        if (intent.queued) await this.forgetUnsynced(id);
        throw err;
      }
    }).catch(notSaved);
  }

  /**
   * The entity's changes since its synced heads, kept beside its queue item: the previous item's
   * plus this change when they follow on from each other, else taken from the document. An
   * entity the relay never had keeps its whole history as one A.save instead: the relay loads a
   * create to validate it, and one compacted chunk loads in about 60 % of the time its first
   * save plus nine raw changes take (the long-offline catch-up's relay CPU went 4.7 s -> 3.3 s);
   * the row it stores is one chunk too.
   */
  private unsynced(id: string, written: WrittenChange): UnsyncedChanges | null {
    const { syncedHeads, headsBefore, heads, bytes } = written;
    const kept = (changes: Uint8Array | undefined) => (changes && changes.length <= MAX_KEPT_BYTES ? { base: syncedHeads, heads, changes: toBase64(changes) } : null);
    if (syncedHeads.length === 0) return kept(written.sinceSynced());
    if (sameHeads(headsBefore, syncedHeads)) return kept(bytes());
    const previous = this.queue.get(id)?.unsynced;
    if (previous && sameHeads(previous.base, syncedHeads) && sameHeads(previous.heads, headsBefore)) {
      return kept(concat(fromBase64(previous.changes), bytes()));
    }
    // Past the cap the item stops keeping them (no earlier bytes to build on): the push loads the document.
    return previous === null || previous === undefined ? null : kept(written.sinceSynced());
  }

  /** The write that the queue item announced failed: its kept changes are not in the document. */
  private async forgetUnsynced(id: string): Promise<void> {
    // Best effort: in memory it is forgotten whatever happens; storage that refused the write
    // may refuse this too, and the device checks the kept changes against the document on open.
    await this.queue.forgetUnsynced(id).catch(() => undefined);
  }

  /**
   * Drops the changes the relay has not taken (a refused item the person gives up on): the entity
   * goes back to what the relay has, as one more change; one the relay never had is gone.
   */
  async discard(id: string): Promise<void> {
    const record = this.entities.record(id);
    if (!record) throw new SyncError(Code.NOT_FOUND, `no entity ${id} on this device`);
    if (record.serverVersion === 0) {
      await this.lock.run(async () => {
        await this.entities.forget(id);
        await this.queue.remove(id);
      });
      return;
    }
    const synced = await this.entities.jsonAt(id, record.syncedHeads);
    if (!synced) throw new SyncError(Code.FAILED_PRECONDITION, "this device does not have the relay's version to go back to");
    await this.change(id, "update", (doc) => {
      doc.payload = structuredClone(synced.payload);
      doc.deleted = structuredClone(synced.deleted);
    });
  }

  /**
   * Marks the entity deleted: a tombstone that syncs like any change (the content stays,
   * restorable). With `basedOn`, what arrived since the screen showed it is recorded as lost to
   * the delete.
   */
  delete(id: string, options: Pick<ChangeOptions, "basedOn"> = {}): Promise<void> {
    return this.change(
      id,
      "delete",
      (doc) => {
        // hlc and baseVersion: stamped with this change's (entity-store.ts).
        doc.deleted = { at: this.now(), hlc: "", deviceId: this.entities.device.id, baseVersion: 0 };
      },
      options,
    );
  }
}

/** A full disk is the person's to know about, in words: nothing was saved, what they typed is theirs to keep. */
function notSaved(err: unknown): never {
  if (isStorageFull(err)) throw new SyncError(Code.RESOURCE_EXHAUSTED, "Not saved: this device is out of space");
  throw err;
}

/** Server-authoritative types are read-only on a device: refused here, and again at the relay. */
function refuseReadOnly(type: EntityType): void {
  if (!CONFLICT_STRATEGIES[type].deviceWritable) {
    throw new SyncError(Code.PERMISSION_DENIED, `${type} is managed by IronFlow; devices only read it`);
  }
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
