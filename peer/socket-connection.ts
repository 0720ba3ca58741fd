// The peer's side of a `ws` socket as a Connection (client/core/transport/transport.ts): whole
// binary frames in order; close listeners run once; nothing is delivered or sent after close.
import WebSocket from "ws";
import type { Connection } from "../client/core/transport/transport.js";

export function socketConnection(socket: WebSocket): Connection {
  let closed = false;
  const frameListeners: ((frame: Uint8Array) => void)[] = [];
  const closeListeners: ((reason: string) => void)[] = [];
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    for (const listener of closeListeners) listener(reason);
  };
  socket.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
    if (closed) return;
    if (!isBinary) {
      socket.close(1002, "binary frames only");
      return;
    }
    const frame = toBytes(data);
    for (const listener of frameListeners) listener(frame);
  });
  socket.on("close", (_code, reason) => finish(reason.toString() || "closed by the other side"));
  socket.on("error", () => undefined); // the close event that follows says what happened
  return {
    send: (frame) => {
      if (!closed && socket.readyState === WebSocket.OPEN) socket.send(frame, { binary: true });
    },
    onFrame: (listener) => frameListeners.push(listener),
    onClose: (listener) => closeListeners.push(listener),
    close: () => {
      if (closed) return;
      socket.close(1000, "closed by the peer");
      finish("closed by this side");
    },
  };
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
