// `npm run peer`: a LAN peer for one person on this machine, and a device of theirs beside it.
// The device syncs with the relay whenever it is reachable and with the peer always (in
// process); the person's other devices on the Wi-Fi sync through the peer when the relay is
// out of reach. Everything lives in one folder (IRONFLOW_PEER_DIR, default ./peer-data): the
// peer's PGlite store in `store/`, the device's encrypted files in `device/`.
//
// First start (online): IRONFLOW_RELAY_URL (ws://host:port/sync), IRONFLOW_EMAIL and
// IRONFLOW_PASSWORD sign the device in; later starts use the session the folder kept.
// PORT (default 8787) and HOST (default 0.0.0.0: reachable on the Wi-Fi) place the peer. It
// announces itself by mDNS and prints a one-time pairing code for the person's next device.
import { join } from "node:path";
import { networkInterfaces } from "node:os";
import QRCode from "qrcode";
import { memoryTransport, writePeerInvite } from "../client/core/index.js";
import { openNodeClient } from "../client/node/open-node-client.js";
import { systemClock } from "../relay/clock.js";
import { jsonLogger } from "../relay/logger.js";
import { openPgliteStore } from "../relay/store/index.js";
import { announcePeer } from "./announce.js";
import { startPeer } from "./peer-server.js";

const log = jsonLogger(undefined, systemClock);
const dir = process.env.IRONFLOW_PEER_DIR ?? "peer-data";
const relayUrl = process.env.IRONFLOW_RELAY_URL ?? "ws://127.0.0.1:8080/sync";
const email = process.env.IRONFLOW_EMAIL;
const password = process.env.IRONFLOW_PASSWORD;

const device = await openNodeClient({
  dataDir: join(dir, "device"),
  relayUrl,
  deviceName: "LAN peer",
  ...(email && password ? { account: { email, password, mode: "signin" as const } } : {}),
});
const { userId, deviceId } = device.account();
const host = process.env.HOST ?? "0.0.0.0";
const peer = await startPeer({
  store: await openPgliteStore(join(dir, "store")),
  userId,
  port: Number(process.env.PORT ?? 8787),
  host,
  log,
});
// This machine's own device reaches the peer in process, through the same transport seam.
const accessToken = await peer.admit({ deviceId, deviceName: "LAN peer" });
await device.linkPeer({ peerId: peer.peerId, transport: memoryTransport((far) => peer.accept(far)), accessToken });
device.setActive(true);
// Found on the Wi-Fi by mDNS (IRONFLOW_MDNS=off to stay quiet).
const announcement = process.env.IRONFLOW_MDNS === "off" ? undefined : announcePeer(peer, "IronFlow LAN peer");
// The code a device enters to pair (one pairing, ten minutes, five wrong tries), and the invite
// with the peer's Wi-Fi address as text and as a QR code for a phone's camera.
const code = peer.newPairingCode();
const invite = writePeerInvite({ url: `ws://${host === "0.0.0.0" ? lanAddress() : host}:${peer.port}/peer`, peerId: peer.peerId, code });
log.info("peer_ready", { peer_id: peer.peerId, sync_url: peer.syncUrl, port: peer.port, user_id: userId, pairing_code: code, invite });
process.stderr.write(`${await QRCode.toString(invite, { type: "terminal", small: true })}\n${invite}\n`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void (announcement?.stop() ?? Promise.resolve())
      .then(() => device.close())
      .then(() => peer.close())
      .then(() => process.exit(0));
  });
}

/** This machine's first IPv4 address on a network (what phones on the Wi-Fi reach), else loopback. */
function lanAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}
