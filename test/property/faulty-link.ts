// A frame-aware WebSocket proxy between one device and the relay, under the test's control.
// Faults go through real sockets: a frame is not forwarded, forwarded twice, held back behind
// a later one, or the TCP connections are cut; a partition cuts every connection and refuses new
// ones at the HTTP upgrade. Each device connection gets its own upstream connection to whatever
// relay `upstream()` names at that moment, so a restarted relay on a new port is followed.
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { decodeDeviceFrame, decodeRelayFrame, readRequestId } from "../../schema/protocol/frames.js";

/** up: device to relay; down: relay to device. */
export type Direction = "up" | "down";

export type FrameFault =
  /** The next frame is not forwarded and the connection stays up: the waiting side times out. */
  | "drop"
  /** The next frame is not forwarded, then both connections are cut (what a lost frame on TCP looks like). */
  | "cut"
  /** The next frame is forwarded twice. */
  | "duplicate"
  /** The next frame is held until the following frame in the same direction has passed. */
  | "swap";

export type ReleaseOrder = "fifo" | "lifo";

interface Pair {
  id: number;
  device: WebSocket;
  relay: WebSocket;
  /** Device frames that arrived before the relay connection was open. */
  early: Buffer[];
  swapped: Partial<Record<Direction, Buffer>>;
  open: boolean;
}

export class FaultyLink {
  private readonly pairs = new Set<Pair>();
  private readonly armed: Record<Direction, FrameFault[]> = { up: [], down: [] };
  private readonly heldLive: { pair: Pair; frame: Buffer }[] = [];
  private partitioned = false;
  private tap: { direction: Direction; body: string; fn: () => void } | undefined;
  private holdingLive = false;
  private nextPairId = 1;

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
    private readonly upstream: () => string,
    private readonly log: (line: string) => void,
  ) {
    server.on("connection", (device) => this.accept(device));
  }

  static async open(name: string, upstream: () => string, log: (line: string) => void): Promise<FaultyLink> {
    // Made once the server listens; the upgrade check reads it then.
    const made: { link?: FaultyLink } = {};
    const server = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      // A partitioned device is refused at the upgrade, as an unreachable network would refuse it.
      verifyClient: (_info, callback) => callback(!(made.link?.partitioned ?? false), 503, "partitioned"),
    });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    const { port } = server.address() as AddressInfo;
    made.link = new FaultyLink(server, `ws://127.0.0.1:${port}/sync`, upstream, (line) => {
      log(`${name} ${line}`);
    });
    return made.link;
  }

  /** Applies `fault` to the next frame in `direction` (faults queue up in the order armed). */
  arm(direction: Direction, fault: FrameFault): void {
    this.armed[direction].push(fault);
  }

  /** From now on the relay's unasked change pushes are held until released. */
  holdLive(): void {
    this.holdingLive = true;
  }

  /** Forwards the held change pushes (to connections still open) and stops holding. */
  releaseLive(order: ReleaseOrder, duplicate: boolean): void {
    this.holdingLive = false;
    const held = this.heldLive.splice(0);
    if (order === "lifo") held.reverse();
    for (const { pair, frame } of held) {
      this.forward(pair, "down", frame, `released live${duplicate ? " twice" : ""}`);
      if (duplicate) this.forward(pair, "down", frame, "released live (copy)");
    }
  }

  /**
   * Calls `fn` once, right after the next `direction` frame whose body is `body` (e.g. "sync")
   * has been handed to the socket: a moment inside a batch, for faults outside the link.
   */
  tapNext(direction: Direction, body: string, fn: () => void): void {
    this.tap = { direction, body, fn };
  }

  clearTap(): void {
    this.tap = undefined;
  }

  /** Cuts every connection and refuses new ones until heal(). */
  partition(): void {
    this.partitioned = true;
    for (const pair of [...this.pairs]) this.cut(pair, "partition");
  }

  /** Accepts connections again, forgets armed faults and releases held pushes in order. */
  heal(): void {
    this.partitioned = false;
    this.armed.up.length = 0;
    this.armed.down.length = 0;
    this.releaseLive("fifo", false);
  }

  get isPartitioned(): boolean {
    return this.partitioned;
  }

  async close(): Promise<void> {
    this.partitioned = true;
    for (const pair of [...this.pairs]) this.cut(pair, "link closed");
    for (const socket of this.server.clients) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(device: WebSocket): void {
    const relay = new WebSocket(this.upstream());
    const pair: Pair = { id: this.nextPairId++, device, relay, early: [], swapped: {}, open: true };
    this.pairs.add(pair);
    this.log(`#${pair.id} connected`);
    device.on("message", (data: RawData) => this.receive(pair, "up", toBuffer(data)));
    relay.on("message", (data: RawData) => this.receive(pair, "down", toBuffer(data)));
    relay.on("open", () => {
      for (const frame of pair.early.splice(0)) {
        if (!pair.open) break;
        relay.send(frame, { binary: true });
        this.tapped("up", frame);
      }
    });
    // Either side going away takes the other with it, as a TCP proxy would.
    device.on("close", () => this.cut(pair, "device closed"));
    relay.on("close", () => this.cut(pair, "relay closed"));
    device.on("error", () => this.cut(pair, "device socket error"));
    relay.on("error", () => this.cut(pair, "relay socket error"));
  }

  private receive(pair: Pair, direction: Direction, frame: Buffer): void {
    if (!pair.open) return;
    // Decoded for the trace only when a line names it: most frames pass with no line.
    const label = () => describe(direction, frame);
    if (direction === "down" && this.holdingLive && readRequestId(frame) === 0) {
      this.heldLive.push({ pair, frame });
      this.log(`#${pair.id} held ${label()}`);
      return;
    }
    const fault = this.armed[direction].shift();
    if (fault === "swap" && pair.swapped[direction] === undefined) {
      pair.swapped[direction] = frame;
      this.log(`#${pair.id} holding ${label()} behind the next frame`);
      return;
    }
    switch (fault) {
      case undefined:
      case "swap":
        this.forward(pair, direction, frame);
        break;
      case "drop":
        this.log(`#${pair.id} dropped ${label()}`);
        break;
      case "cut":
        this.log(`#${pair.id} dropped ${label()}`);
        this.cut(pair, "cut after a dropped frame");
        return;
      case "duplicate":
        this.forward(pair, direction, frame, "duplicated");
        this.forward(pair, direction, frame, "duplicate of");
        break;
    }
    const behind = pair.swapped[direction];
    if (behind !== undefined) {
      pair.swapped[direction] = undefined;
      this.forward(pair, direction, behind, "swapped");
    }
  }

  private forward(pair: Pair, direction: Direction, frame: Buffer, note?: string): void {
    if (!pair.open) return;
    if (note) this.log(`#${pair.id} ${note} ${describe(direction, frame)}`);
    if (direction === "down") {
      pair.device.send(frame, { binary: true });
      this.tapped(direction, frame);
    } else if (pair.relay.readyState === WebSocket.OPEN) {
      pair.relay.send(frame, { binary: true });
      this.tapped(direction, frame);
    } else {
      pair.early.push(frame);
    }
  }

  private tapped(direction: Direction, frame: Buffer): void {
    const tap = this.tap;
    if (!tap || tap.direction !== direction || bodyOf(direction, frame) !== tap.body) return;
    this.tap = undefined;
    tap.fn();
  }

  private cut(pair: Pair, reason: string): void {
    if (!pair.open) return;
    pair.open = false;
    this.pairs.delete(pair);
    this.log(`#${pair.id} closed: ${reason}`);
    pair.device.terminate();
    pair.relay.terminate();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

function bodyOf(direction: Direction, frame: Buffer): string | undefined {
  const bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  try {
    return (direction === "up" ? decodeDeviceFrame(bytes) : decodeRelayFrame(bytes)).body.case;
  } catch {
    return undefined;
  }
}

/** "up sync#3" / "down changes": enough to read a trace. */
function describe(direction: Direction, frame: Buffer): string {
  const bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  try {
    const { requestId, body } = direction === "up" ? decodeDeviceFrame(bytes) : decodeRelayFrame(bytes);
    return `${direction} ${body.case}${requestId ? `#${requestId}` : ""}`;
  } catch {
    return `${direction} undecodable frame`;
  }
}
