// The LAN peer: a small relay for one person on the same Wi-Fi, for when the relay cannot be
// reached. It is the relay's own sync core (relay/sync-service.ts: version checks, validation of
// every document against its type, fan-out) and session protocol (relay/session.ts) on a store
// of its own (PGlite in a folder), so it never takes a change the relay would refuse. It keeps
// no accounts of its own: only devices it admitted (paired) say Hello, with a token it signed.
//
// Its versions are its own: a device keeps them apart from the relay's (client/core/peer), and
// what it carries reaches the relay from the devices, never from the peer's numbers.
// Specification: docs/peer-sync.md
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import type { Connection } from "../client/core/transport/transport.js";
import { identityKeyOf } from "../client/core/peer/peer-identity.js";
import { AccountService, DEFAULT_AUTH } from "../relay/auth/account-service.js";
import { issueAccessToken, signingKey } from "../relay/auth/tokens.js";
import { systemClock, type Clock } from "../relay/clock.js";
import { InProcessFanout } from "../relay/fanout.js";
import { DEFAULT_LIMITS } from "../relay/limits.js";
import { silentLogger, type Logger } from "../relay/logger.js";
import { LiveSessions, Session } from "../relay/session.js";
import type { RelayStore } from "../relay/store/store.js";
import { Code, SyncError } from "../schema/status.js";
import { SyncService } from "../relay/sync-service.js";
import { PeerGate } from "./peer-gate.js";
import { socketConnection } from "./socket-connection.js";

/** How long a paired device's token lasts; past it the device pairs again. */
export const PEER_TOKEN_TTL_MS = 30 * 24 * 3600_000;

export interface PeerOptions {
  store: RelayStore;
  /** What the peer calls itself to the devices that pair with it (default "IronFlow LAN peer"). */
  name?: string;
  /** The one person this peer serves: every admitted device is theirs. */
  userId: string;
  port?: number;
  /** 0.0.0.0 to be reachable on the Wi-Fi; loopback by default. */
  host?: string;
  clock?: Clock;
  log?: Logger;
  /** Wrong tries a pairing code survives (default 5). */
  maxPairingAttempts?: number;
  /**
   * What to do with a connection once it is linked (default: a sync session). The transport
   * conformance suite takes the far end here.
   */
  serve?: (connection: Connection) => void;
}

export interface AdmittedDevice {
  deviceId: string;
  deviceName: string;
}

export interface LanPeer {
  /** The peer store's id: a device keeps the versions of each peer apart. */
  readonly peerId: string;
  /** The public half of the peer's identity key, which devices remember at pairing. */
  readonly identityKey: string;
  readonly name: string;
  readonly userId: string;
  readonly port: number;
  /** ws://host:port/peer */
  readonly syncUrl: string;
  /** Serves one trusted connection (an in-memory pair for a device in this process): no handshake. */
  accept(connection: Connection): void;
  /** Registers a device of the person and returns the token its Hello carries (pairing does this). */
  admit(device: AdmittedDevice): Promise<string>;
  /** A new one-time pairing code to show on the peer; the previous one stops working. */
  newPairingCode(): string;
  connections(): number;
  close(): Promise<void>;
}

export async function startPeer(options: PeerOptions): Promise<LanPeer> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? silentLogger;
  const { store, userId } = options;
  const limits = DEFAULT_LIMITS;
  const fanout = new InProcessFanout();
  const service = new SyncService(store, fanout, limits);
  const live = new LiveSessions();
  const newSecret = () => randomBytes(32).toString("base64url");
  const secret = Buffer.from(await store.accounts.secret("peer-token-key", newSecret), "base64url");
  const peerId = Buffer.from(await store.accounts.secret("peer-id", newSecret), "base64url").subarray(0, 12).toString("hex");
  // The identity key signs every link; a device that paired remembers its public half.
  const identitySeed = Buffer.from(await store.accounts.secret("peer-identity-key", newSecret), "base64url");
  const identity = { seed: new Uint8Array(identitySeed), publicKey: identityKeyOf(identitySeed) };
  const name = options.name ?? "IronFlow LAN peer";
  const accounts = new AccountService(store.accounts, clock, { ...DEFAULT_AUTH, secret }, (u, d) => live.revoke(u, d));
  const open = new Set<Connection>();

  const accept = (connection: Connection): void => {
    open.add(connection);
    const session = new Session({ send: (frame) => connection.send(frame), close: () => connection.close() }, { service, accounts, live, fanout, limits, log, clock });
    // The session queues a connection's frames in arrival order.
    connection.onFrame((frame) => void session.accept(frame));
    connection.onClose(() => {
      open.delete(connection);
      session.closed();
    });
  };

  const admit = async (device: AdmittedDevice): Promise<string> => {
    const now = clock.now();
    if ((await store.accounts.addDevice(userId, device.deviceId, device.deviceName, now)) === "revoked") {
      throw new SyncError(Code.PERMISSION_DENIED, `device ${device.deviceId} was revoked on this peer`);
    }
    return (await issueAccessToken(signingKey(secret), { userId, deviceId: device.deviceId }, now, PEER_TOKEN_TTL_MS)).token;
  };
  const serve = options.serve ?? accept;
  const gate = new PeerGate({ peerId, peerName: name, identity, userId, accounts: store.accounts, clock, log, admit, linked: (connection) => serve(connection), maxAttempts: options.maxPairingAttempts });

  const http: Server = createServer((_req, res) => {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("an IronFlow LAN peer: devices connect by WebSocket at /peer");
  });
  const wss = new WebSocketServer({ server: http, path: "/peer", maxPayload: limits.maxFrameBytes * 2, perMessageDeflate: false });
  // Nothing from the network reaches a session before the gate has linked it.
  wss.on("connection", (socket) => gate.handle(socketConnection(socket)));
  wss.on("error", (err) => log.error("peer_socket_error", { error: String(err) }));
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host && options.host !== "0.0.0.0" ? options.host : "127.0.0.1";

  return {
    peerId,
    identityKey: identity.publicKey,
    name,
    userId,
    port,
    syncUrl: `ws://${host}:${port}/peer`,
    accept,
    admit,
    newPairingCode: () => gate.newPairingCode(),
    connections: () => open.size,
    async close() {
      for (const connection of [...open]) connection.close();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      service.close();
      await store.close();
    },
  };
}
