// The transport suite run by the LAN peer link: paired, authenticated both ways and sealed, over
// ws on loopback; the far end is the peer's side once its gate has linked the connection.
import WebSocket from "ws";
import { pairWithPeer, secureTransport } from "../../client/core/peer/secure-channel.js";
import { webSocketTransport, type WebSocketLike } from "../../client/core/transport/websocket.js";
import { Accepted, runTransportSuite } from "../client/seams/transport.suite.js";
import { freePort } from "../support/ports.js";
import { startTestPeer } from "./fixtures.js";

runTransportSuite("LAN peer link (paired, sealed, ws on loopback)", async () => {
  const accepted = new Accepted();
  const { peer, close } = await startTestPeer("user-transport", { serve: (far) => accepted.add(far) });
  const factory = (url: string) => new WebSocket(url) as unknown as WebSocketLike;
  const credentials = await pairWithPeer(webSocketTransport(peer.syncUrl, factory), { code: peer.newPairingCode(), deviceId: "device-1", deviceName: "device" });
  return {
    transport: secureTransport(webSocketTransport(peer.syncUrl, factory), credentials),
    accepted: () => accepted.next(),
    unreachable: secureTransport(webSocketTransport(`ws://127.0.0.1:${await freePort()}/peer`, factory), credentials),
    close,
  };
});
