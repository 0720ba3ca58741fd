// What the LAN peer tests share: a peer on loopback, and the Node transport to it. `npm run peer`
// keeps its store in PGlite; tests give it a fresh schema of the machine's Postgres instead (the
// same store seam, run by one conformance suite on both), because an in-memory PGlite costs
// seconds to start on a busy machine. One test (pairing) runs the peer on PGlite.
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import { webSocketTransport, type Transport } from "../../client/core/index.js";
import { startPeer, type LanPeer, type PeerOptions } from "../../peer/peer-server.js";
import { freshPgStore, freshPgliteStore } from "../support/databases.js";

export interface TestPeerOptions extends Omit<PeerOptions, "store" | "userId"> {
  backend?: "pg" | "pglite";
  /** Another store answering at the same peer id (what `idSecret` of a first peer gives): its identity key is its own. */
  idSecret?: string;
}

export async function startTestPeer(userId: string, options: TestPeerOptions = {}): Promise<{ peer: LanPeer; idSecret: string; close: () => Promise<void> }> {
  const { backend = "pg", idSecret, ...rest } = options;
  const fixture = backend === "pg" ? await freshPgStore() : await freshPgliteStore();
  // The peer's id comes from this secret of its store (made on first start unless given here).
  const secret = await fixture.store.accounts.secret("peer-id", () => idSecret ?? randomBytes(32).toString("base64url"));
  const peer = await startPeer({ ...rest, store: fixture.store, userId });
  // The peer closes its store; the fixture then throws the database away.
  return { peer, idSecret: secret, close: () => peer.close().then(() => fixture.close().catch(() => undefined)) };
}

export function peerTransport(url: string): Transport {
  return webSocketTransport(url, (u) => new WebSocket(u));
}
