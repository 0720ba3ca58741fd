// A transport whose connections are in-memory pairs: the device's end, and the far end handed to
// `accept` (a relay core, a peer, a test). Frames arrive whole, in order, each on a later turn
// (never inside send), as on a socket. Passes the transport suite (test/client/transport.suite.ts).
// Specification: docs/sync-protocol.md
import { Code, SyncError } from "../../../schema/status.js";
import type { Connection, Transport } from "./transport.js";

export interface MemoryTransport extends Transport {
  /** Refuse new connections (as an unreachable network would), or accept them again. */
  setReachable(reachable: boolean): void;
}

export function memoryTransport(accept: (farEnd: Connection) => void): MemoryTransport {
  let reachable = true;
  return {
    setReachable(value) {
      reachable = value;
    },
    connect() {
      if (!reachable) return Promise.reject(new SyncError(Code.UNAVAILABLE, "the other side cannot be reached"));
      const [device, far] = connectionPair();
      accept(far);
      return Promise.resolve(device);
    },
  };
}

/** Two connected ends. */
export function connectionPair(): [Connection, Connection] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryEnd implements Connection {
  peer: MemoryEnd | undefined;
  private readonly frameListeners: ((frame: Uint8Array) => void)[] = [];
  private readonly closeListeners: ((reason: string) => void)[] = [];
  private closed = false;
  private readonly early: Uint8Array[] = [];

  send(frame: Uint8Array): void {
    if (this.closed) return;
    const copy = frame.slice();
    const peer = this.peer;
    queueMicrotask(() => peer?.deliver(copy));
  }

  onFrame(listener: (frame: Uint8Array) => void): void {
    this.frameListeners.push(listener);
    // Frames that arrived before anyone listened (the far end spoke first) go to the first listener.
    if (this.frameListeners.length === 1) for (const frame of this.early.splice(0)) if (!this.closed) listener(frame);
  }

  onClose(listener: (reason: string) => void): void {
    this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.finish("closed by this side");
    const peer = this.peer;
    // After the frames already sent, as a socket's close follows its data.
    queueMicrotask(() => peer?.finish("closed by the other side"));
  }

  private deliver(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.frameListeners.length === 0) this.early.push(frame);
    else for (const listener of this.frameListeners) listener(frame);
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.closeListeners) listener(reason);
  }
}
