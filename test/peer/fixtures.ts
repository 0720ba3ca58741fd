// What the LAN peer tests share: a peer on loopback, and the Node transport to it. `npm run peer`
// keeps its store in PGlite; tests give it a fresh schema of the machine's Postgres instead (the
// same store seam, run by one conformance suite on both), because an in-memory PGlite costs
// seconds to start on a busy machine. One test (pairing) runs the peer on PGlite.
import WebSocket from "ws";
import { webSocketTransport, type Transport } from "../../client/core/index.js";
import { startPeer, type LanPeer, type PeerOptions } from "../../peer/peer-server.js";
import { freshPgStore, freshPgliteStore } from "../support/databases.js";

export async function startTestPeer(userId: string, options: Omit<PeerOptions, "store" | "userId"> & { backend?: "pg" | "pglite" } = {}): Promise<{ peer: LanPeer; close: () => Promise<void> }> {
  const { backend = "pg", ...rest } = options;
  const fixture = backend === "pg" ? await freshPgStore() : await freshPgliteStore();
  const peer = await startPeer({ ...rest, store: fixture.store, userId });
  // The peer closes its store; the fixture then throws the database away.
  return { peer, close: () => peer.close().then(() => fixture.close().catch(() => undefined)) };
}

export function peerTransport(url: string): Transport {
  return webSocketTransport(url, (u) => new WebSocket(u));
}
