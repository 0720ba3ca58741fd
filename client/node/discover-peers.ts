// Finding LAN peers by DNS-SD over mDNS (bonjour-service), in Node: each announces
// `_ironflow-peer._tcp` with its id and path (peer/announce.ts). A device that paired with a peer
// finds it again by id, whatever address it has today. Browsers have no mDNS: the app is given a
// peer's address (typed, or from its QR code) and keeps it.
// Specification: docs/peer-sync.md
import { Bonjour, type Service } from "bonjour-service";

export const PEER_SERVICE_TYPE = "ironflow-peer";

export interface FoundPeer {
  peerId: string;
  name: string;
  address: string;
  port: number;
  /** ws://address:port/path */
  url: string;
}

/** Where mDNS listens; on loopback `{ interface: "127.0.0.1", bind: "0.0.0.0" }`. */
export interface MdnsOptions {
  interface?: string;
  bind?: string;
}

export interface Discovery {
  stop(): Promise<void>;
}

/** Calls `onFound` for each peer announced now or later, until stopped. */
export function discoverPeers(onFound: (peer: FoundPeer) => void, mdns: MdnsOptions = {}): Discovery {
  const bonjour = new Bonjour(mdns as ConstructorParameters<typeof Bonjour>[0]);
  const browser = bonjour.find({ type: PEER_SERVICE_TYPE }, (service) => {
    const peer = foundPeer(service);
    if (peer) onFound(peer);
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        browser.stop();
        bonjour.destroy(() => resolve());
      }),
  };
}

/** Resolves with the first peer announced with `peerId` (any peer when none is given). */
export async function findPeer(peerId?: string, mdns: MdnsOptions = {}): Promise<FoundPeer> {
  let discovery: Discovery | undefined;
  const found = await new Promise<FoundPeer>((resolve) => {
    discovery = discoverPeers((peer) => {
      if (peerId === undefined || peer.peerId === peerId) resolve(peer);
    }, mdns);
  });
  await discovery?.stop();
  return found;
}

function foundPeer(service: Service): FoundPeer | undefined {
  const txt = (service.txt ?? {}) as Record<string, unknown>;
  const id = txt["id"];
  const path = typeof txt["path"] === "string" ? txt["path"] : "/peer";
  // The address the answer came from reaches the peer; its announced addresses are the fallback.
  const address = service.referer?.address ?? service.addresses?.find((a) => !a.includes(":"));
  if (typeof id !== "string" || !address) return undefined;
  return { peerId: id, name: service.name, address, port: service.port, url: `ws://${address}:${service.port}${path}` };
}
