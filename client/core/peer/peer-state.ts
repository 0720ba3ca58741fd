// What a device knows of one LAN peer, kept apart from what it knows of the relay: the peer's
// version and heads of each entity, and how far it has pulled from the peer. A LAN peer numbers
// versions in its own store; those numbers are never written into the entity's record (the
// relay's version and synced heads), so nothing the peer handed out is ever presented to the
// relay. Records live in the device's storage under the "peer" kind, keyed `<peer>_<entity>` and
// `<peer>~cursor` (a peer id is hex, an entity id base58: neither holds "_" or "~").
// Specification: docs/peer-sync.md
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import { RecordStore } from "../storage/record-store.js";

export interface PeerEntityState {
  /** The peer's version of the entity this device last pulled or pushed. */
  version: number;
  /** Heads of the document at that version: pushes to the peer carry the changes since these. */
  heads: string[];
}

interface StoredPeerRecord {
  key: string;
  entity?: PeerEntityState;
  cursor?: string;
}

export class PeerState {
  private readonly entities = new Map<string, PeerEntityState>();
  private cursorValue = 0n;

  private constructor(
    private readonly store: RecordStore<StoredPeerRecord>,
    private readonly peerId: string,
  ) {}

  static async open(storage: StorageAdapterInterface, peerId: string): Promise<PeerState> {
    const state = new PeerState(new RecordStore<StoredPeerRecord>(storage, "peer"), peerId);
    for (const record of await state.store.all()) {
      if (record.key === cursorKey(peerId)) state.cursorValue = BigInt(record.cursor ?? "0");
      else if (record.entity && record.key.startsWith(`${peerId}_`)) state.entities.set(record.key.slice(peerId.length + 1), record.entity);
    }
    return state;
  }

  /** Removes everything kept of one peer's versions (the peer was forgotten). */
  static async drop(storage: StorageAdapterInterface, peerId: string): Promise<void> {
    const store = new RecordStore<StoredPeerRecord>(storage, "peer");
    for (const record of await store.all()) {
      if (record.key === cursorKey(peerId) || record.key.startsWith(`${peerId}_`)) await store.remove(record.key);
    }
  }

  get(entityId: string): PeerEntityState | undefined {
    return this.entities.get(entityId);
  }

  async put(entityId: string, entity: PeerEntityState): Promise<void> {
    const key = `${this.peerId}_${entityId}`;
    await this.store.put(key, { key, entity });
    this.entities.set(entityId, entity);
  }

  get cursor(): bigint {
    return this.cursorValue;
  }

  async saveCursor(cursor: bigint): Promise<void> {
    const key = cursorKey(this.peerId);
    await this.store.put(key, { key, cursor: cursor.toString() });
    this.cursorValue = cursor;
  }
}

function cursorKey(peerId: string): string {
  return `${peerId}~cursor`;
}
