// Every transport runs the same suite: the relay's WebSocket (a real `ws` server on loopback as
// the far end) and the in-memory pair. The LAN peer link runs it in
// test/peer/peer-link-transport.pg.test.ts (its far end is a peer, which needs a store).
import type { AddressInfo } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { memoryTransport } from "../../../client/core/transport/memory-pair.js";
import type { Connection } from "../../../client/core/transport/transport.js";
import { webSocketTransport, type WebSocketLike } from "../../../client/core/transport/websocket.js";
import { freePort } from "../../support/ports.js";
import { Accepted, runTransportSuite } from "./transport.suite.js";

runTransportSuite("in-memory pair", () => {
  const accepted = new Accepted();
  const unreachable = memoryTransport(() => undefined);
  unreachable.setReachable(false);
  return Promise.resolve({ transport: memoryTransport((far) => accepted.add(far)), accepted: () => accepted.next(), unreachable, close: () => Promise.resolve() });
});

runTransportSuite("WebSocket (ws on loopback)", async () => {
  const accepted = new Accepted();
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  server.on("connection", (socket) => accepted.add(serverEnd(socket)));
  const { port } = server.address() as AddressInfo;
  const factory = (url: string) => new WebSocket(url) as unknown as WebSocketLike;
  return {
    transport: webSocketTransport(`ws://127.0.0.1:${port}/`, factory),
    accepted: () => accepted.next(),
    unreachable: webSocketTransport(`ws://127.0.0.1:${await freePort()}/`, factory),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
});

/** The server's side of a `ws` socket, as a Connection. */
function serverEnd(socket: WebSocket): Connection {
  let closed = false;
  const closeListeners: ((reason: string) => void)[] = [];
  socket.on("close", (_code, reason) => {
    if (closed) return;
    closed = true;
    for (const listener of closeListeners) listener(reason.toString() || "closed");
  });
  return {
    send: (frame) => {
      if (!closed && socket.readyState === WebSocket.OPEN) socket.send(frame, { binary: true });
    },
    onFrame: (listener) => socket.on("message", (data: Buffer) => !closed && listener(new Uint8Array(data))),
    onClose: (listener) => closeListeners.push(listener),
    close: () => socket.close(1000, "server closed"),
  };
}
