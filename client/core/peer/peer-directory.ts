// The peers a device knows, and its links to them: pair from an invite and remember the peer,
// link again to a remembered peer (next session, or at a new address), forget one. The device's
// links themselves are PeerLinks (peer-link.ts); this decides which peer, at which address, with
// which credentials, and keeps the record up to date.
// Specification: docs/peer-sync.md
import { Code, SyncError } from "../../../schema/status.js";
import type { Transport } from "../transport/transport.js";
import { readPeerInvite, type PeerInvite } from "./invite.js";
import type { KnownPeerInfo, KnownPeers } from "./known-peers.js";
import type { PeerLink, PeerLinkOptions } from "./peer-link.js";
import { pairWithPeer, secureTransport } from "./secure-channel.js";

export interface PeerDirectoryParts {
  known: KnownPeers;
  /** A transport to a peer's ws:// address (the browser's WebSocket, or `ws` in Node). */
  transportTo: ((url: string) => Transport) | undefined;
  identity: () => { deviceId: string; deviceName: string };
  now: () => number;
  link(options: PeerLinkOptions): Promise<PeerLink>;
  unlink(link: PeerLink): Promise<void>;
  /** Drops what the device kept of a peer's versions (it is forgotten). */
  dropPeerState(peerId: string): Promise<void>;
}

export class PeerDirectory {
  private readonly links = new Map<string, PeerLink>();

  constructor(private readonly p: PeerDirectoryParts) {}

  known(): KnownPeerInfo[] {
    return this.p.known.list();
  }

  linkTo(peerId: string): PeerLink | undefined {
    return this.links.get(peerId);
  }

  /**
   * Pairs with the peer an invite names (its text, or the invite read back), remembers it, and
   * links. INVALID_ARGUMENT for text that is not an invite; PeerKeyChanged when a remembered peer
   * answers with another identity key (forget it first); the pairing's own refusals otherwise.
   */
  async pair(invite: string | PeerInvite): Promise<PeerLink> {
    const read = typeof invite === "string" ? readPeerInvite(invite) : invite;
    if (!read) throw new SyncError(Code.INVALID_ARGUMENT, "this is not an IronFlow peer invite (it begins ironflow-peer://pair)");
    const remembered = this.p.known.get(read.peerId);
    const credentials = await pairWithPeer(this.transportTo(read.url), {
      code: read.code,
      ...this.p.identity(),
      peerId: read.peerId,
      ...(remembered ? { peerKey: remembered.identityKey } : {}),
    });
    await this.p.known.remember(credentials, read.url, this.p.now());
    return this.link(read.peerId);
  }

  /**
   * Links to a remembered peer at `address`, or where it was last reached. NOT_FOUND for a peer
   * this device never paired with (or forgot). A link already open to that peer is replaced.
   */
  async link(peerId: string, address?: string): Promise<PeerLink> {
    const peer = this.p.known.get(peerId);
    if (!peer) throw new SyncError(Code.NOT_FOUND, `this device is not paired with peer ${peerId}`);
    const url = address ?? peer.lastAddress;
    const secure = secureTransport(this.transportTo(url), peer.credentials);
    // Each connection that proves the peer records where it was reached, and when.
    const remembering: Transport = {
      connect: async () => {
        const connection = await secure.connect();
        await this.p.known.linked(peerId, url, this.p.now());
        return connection;
      },
    };
    const previous = this.links.get(peerId);
    if (previous) await this.p.unlink(previous);
    const link = await this.p.link({ peerId, transport: remembering, accessToken: peer.credentials.accessToken });
    this.links.set(peerId, link);
    return link;
  }

  /** Links to every remembered peer at its last address (a new session). */
  async linkAll(): Promise<PeerLink[]> {
    const links: PeerLink[] = [];
    for (const peer of this.p.known.list()) links.push(await this.link(peer.peerId));
    return links;
  }

  /** Ends the link, forgets the peer's credentials and identity key and what was kept of its versions. */
  async forget(peerId: string): Promise<void> {
    const link = this.links.get(peerId);
    this.links.delete(peerId);
    if (link) await this.p.unlink(link);
    await this.p.known.forget(peerId);
    await this.p.dropPeerState(peerId);
  }

  private transportTo(url: string): Transport {
    if (!this.p.transportTo) throw new SyncError(Code.FAILED_PRECONDITION, "this device was opened without a way to reach LAN peers (peerTransport)");
    return this.p.transportTo(url);
  }
}
