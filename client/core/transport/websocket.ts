// The relay transport over a WebSocket: the browser's own, or `ws` in Node (passed in, so the
// core imports no Node module).
// Specification: docs/sync-protocol.md
import { Code, SyncError } from "../../../schema/status.js";
import type { Connection, Transport } from "./transport.js";

/**
 * An event handler slot we only write to. Checked bivariantly (the method-signature form), so the
 * browser's `(ev: MessageEvent) => any` fits where we store a handler reading `{ data }`; with
 * plain function types, strictFunctionTypes rejects the DOM's WebSocket.
 */
type HandlerSlot<E> = { handle(event: E): void }["handle"] | null;

/** The part of the WebSocket API we use; both the browser's and `ws` provide it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: HandlerSlot<unknown>;
  onmessage: HandlerSlot<{ data: unknown }>;
  onclose: HandlerSlot<{ reason?: string; code?: number }>;
  onerror: HandlerSlot<unknown>;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

const OPEN = 1;

export function webSocketTransport(url: string, factory: WebSocketFactory): Transport {
  return {
    connect: () =>
      new Promise<Connection>((resolve, reject) => {
        let socket: WebSocketLike;
        try {
          socket = factory(url);
        } catch (err) {
          reject(new SyncError(Code.UNAVAILABLE, `cannot open ${url}: ${(err as Error).message}`));
          return;
        }
        socket.binaryType = "arraybuffer";
        const frameListeners: ((frame: Uint8Array) => void)[] = [];
        // Frames that arrive before anyone listens (the far end may speak first, right as the
        // socket opens, before connect's caller has its connection) wait for the first listener.
        const early: Uint8Array[] = [];
        const closeListeners: ((reason: string, code?: number) => void)[] = [];
        let closed = false;
        const finish = (reason: string, code?: number) => {
          if (closed) return;
          closed = true;
          for (const listener of closeListeners) listener(reason, code);
        };
        socket.onopen = () =>
          resolve({
            send: (frame) => {
              if (!closed && socket.readyState === OPEN) socket.send(frame);
            },
            onFrame: (listener) => {
              frameListeners.push(listener);
              if (frameListeners.length === 1) for (const frame of early.splice(0)) if (!closed) listener(frame);
            },
            onClose: (listener) => closeListeners.push(listener),
            close: () => {
              socket.close(1000, "device closed");
              finish("closed by device");
            },
          });
        socket.onmessage = (event) => {
          if (closed) return;
          const frame = toBytes(event.data);
          if (!frame) return;
          if (frameListeners.length === 0) early.push(frame);
          else for (const listener of frameListeners) listener(frame);
        };
        socket.onerror = () => undefined; // the close event that follows says what happened
        socket.onclose = (event) => {
          reject(new SyncError(Code.UNAVAILABLE, `cannot reach ${url}`));
          finish(event.reason || `connection closed (${event.code ?? "no code"})`, event.code);
        };
      }),
  };
}

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}
