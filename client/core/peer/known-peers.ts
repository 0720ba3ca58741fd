// The LAN peers this device paired with, kept in the device's own storage (encrypted where the
// device's storage is) under the "known-peer" kind, so the next session links again without a
// new pairing: the peer's identity key (a later link must be signed with it), its name, the
// address it was last reached at, and the credentials pairing gave (link key, access token).
// Specification: docs/peer-sync.md
import type { StorageAdapterInterface } from "@automerge/automerge-repo/slim";
import { RecordStore } from "../storage/record-store.js";
import type { PeerCredentials } from "./secure-channel.js";

/** What the app shows of a known peer (no secrets). */
export interface KnownPeerInfo {
  peerId: string;
  name: string;
  /** The peer's public identity key, base64url. */
  identityKey: string;
  /** The ws:// address the peer was last reached at. */
  lastAddress: string;
  pairedAt: number;
  lastLinkedAt: number | null;
}

export interface KnownPeer extends KnownPeerInfo {
  credentials: PeerCredentials;
}

export class KnownPeers {
  private readonly peers = new Map<string, KnownPeer>();

  private constructor(private readonly store: RecordStore<KnownPeer>) {}

  static async open(storage: StorageAdapterInterface): Promise<KnownPeers> {
    const known = new KnownPeers(new RecordStore<KnownPeer>(storage, "known-peer"));
    for (const peer of await known.store.all()) known.peers.set(peer.peerId, peer);
    return known;
  }

  list(): KnownPeerInfo[] {
    return [...this.peers.values()].map((peer) => infoOf(peer));
  }

  get(peerId: string): KnownPeer | undefined {
    return this.peers.get(peerId);
  }

  /** Remembers a pairing (again, for a peer paired before: new credentials, same identity key). */
  async remember(credentials: PeerCredentials, address: string, at: number): Promise<KnownPeerInfo> {
    const peer: KnownPeer = {
      peerId: credentials.peerId,
      name: credentials.peerName,
      identityKey: credentials.peerKey,
      lastAddress: address,
      pairedAt: at,
      lastLinkedAt: null,
      credentials,
    };
    await this.save(peer);
    return infoOf(peer);
  }

  /** The peer proved itself at `address` (it may have moved since the last time). */
  async linked(peerId: string, address: string, at: number): Promise<void> {
    const peer = this.peers.get(peerId);
    if (peer) await this.save({ ...peer, lastAddress: address, lastLinkedAt: at });
  }

  async forget(peerId: string): Promise<void> {
    await this.store.remove(peerId);
    this.peers.delete(peerId);
  }

  private async save(peer: KnownPeer): Promise<void> {
    await this.store.put(peer.peerId, peer);
    this.peers.set(peer.peerId, peer);
  }
}

function infoOf(peer: KnownPeer): KnownPeerInfo {
  const { peerId, name, identityKey, lastAddress, pairedAt, lastLinkedAt } = peer;
  return { peerId, name, identityKey, lastAddress, pairedAt, lastLinkedAt };
}
