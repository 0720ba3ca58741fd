// The LAN peer announces itself on the local network by DNS-SD over mDNS (bonjour-service):
// service type `_ironflow-peer._tcp`, its port, and a TXT record with its id and WebSocket path,
// so a device finds it again by id wherever DHCP put it (client/node/discover-peers.ts).
// Specification: docs/peer-sync.md
import { Bonjour } from "bonjour-service";
import { PEER_SERVICE_TYPE, type MdnsOptions } from "../client/node/discover-peers.js";

export const PEER_PATH = "/peer";

export interface Announcement {
  stop(): Promise<void>;
}

export function announcePeer(peer: { peerId: string; port: number }, name: string, mdns: MdnsOptions = {}): Announcement {
  // bonjour-service passes these to multicast-dns; its types name only the service fields.
  const bonjour = new Bonjour(mdns as ConstructorParameters<typeof Bonjour>[0]);
  bonjour.publish({ name: `${name} (${peer.peerId.slice(0, 6)})`, type: PEER_SERVICE_TYPE, port: peer.port, txt: { id: peer.peerId, path: PEER_PATH } });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        bonjour.unpublishAll(() => {
          bonjour.destroy(() => resolve());
        });
      }),
  };
}
