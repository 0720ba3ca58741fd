// The stored rows a batch needs, read a group at a time instead of one round trip per item: a
// long-offline device's catch-up pushes hundreds of items whose documents are not in the cache
// (its creates most of all, which read "no row"). Groups are small (GROUP_ROWS documents of at
// most maxDocumentBytes each), and a row is let go once taken, so memory stays bounded.
import type { RelayStore, StoredEntity } from "./store/store.js";

const GROUP_ROWS = 32;

export class BatchRows {
  /** The rows read and not yet taken; null: read, and not stored. */
  private readonly read = new Map<string, StoredEntity | null>();
  private next = 0;

  /** `entityIds`: the batch's entities the relay will need from the store, in the order it takes them. */
  constructor(
    private readonly store: RelayStore,
    private readonly userId: string,
    private readonly entityIds: readonly string[],
  ) {}

  /** The stored row of `entityId` (null when there is none), read with the next group if it is in the batch's list. */
  async take(entityId: string): Promise<StoredEntity | null> {
    if (!this.read.has(entityId)) {
      const at = this.entityIds.indexOf(entityId, this.next);
      // Not in the list (the cache let a document go since the list was made): read it alone.
      if (at < 0) return this.store.get(this.userId, entityId);
      const group = this.entityIds.slice(at, at + GROUP_ROWS);
      this.next = at + group.length;
      for (const id of group) this.read.set(id, null);
      for (const row of await this.store.getMany(this.userId, group)) this.read.set(row.entityId, row);
    }
    const row = this.read.get(entityId) ?? null;
    this.read.delete(entityId);
    return row;
  }
}
