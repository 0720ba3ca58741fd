// A session with the relay over any Connection: the Hello handshake, requests matched to
// replies by request id, and the relay's unasked ChangesAvailable pushes.
// Specification: docs/sync-protocol.md
import { Code, SyncError } from "../../../schema/status.js";
import {
  PROTOCOL_VERSION,
  decodeRelayFrame,
  encodeDeviceFrame,
  type DeviceBodyInit,
  type EntitySnapshot,
  type PullResponse,
  type SyncResult,
  type Welcome,
} from "../../../schema/protocol/frames.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SyncItemSchema } from "../../../schema/protocol/frames.js";
import type { Timers } from "../clock/timers.js";
import type { Connection, Transport } from "./transport.js";

export interface DeviceIdentity {
  userId: string;
  deviceId: string;
  deviceName: string;
}

export type SyncItemInit = MessageInitShape<typeof SyncItemSchema>;

interface Pending {
  resolve(body: Reply): void;
  reject(err: SyncError): void;
  timer: unknown;
}

type Reply = ReturnType<typeof decodeRelayFrame>["body"];

export class RelaySession {
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedReason: string | undefined;
  welcome: Welcome | undefined;

  private constructor(
    private readonly connection: Connection,
    private readonly identity: DeviceIdentity,
    private readonly timers: Timers,
    private readonly timeoutMs: number,
    private readonly onChanges: (entities: EntitySnapshot[]) => void,
    private readonly onClosed: (reason: string) => void,
  ) {
    connection.onFrame((frame) => this.receive(frame));
    connection.onClose((reason) => this.shutdown(reason));
  }

  static async open(options: {
    transport: Transport;
    identity: DeviceIdentity;
    timers: Timers;
    timeoutMs: number;
    onChanges: (entities: EntitySnapshot[]) => void;
    onClosed: (reason: string) => void;
  }): Promise<RelaySession> {
    const connection = await connectWithin(options.transport, options.timers, options.timeoutMs);
    const session = new RelaySession(connection, options.identity, options.timers, options.timeoutMs, options.onChanges, options.onClosed);
    const reply = await session.request({
      case: "hello",
      value: { protocolVersion: PROTOCOL_VERSION, ...options.identity },
    });
    if (reply.case !== "welcome") {
      connection.close();
      throw new SyncError(Code.INTERNAL, `relay answered hello with ${reply.case}`);
    }
    session.welcome = reply.value;
    return session;
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
  }

  async sync(items: SyncItemInit[]): Promise<SyncResult[]> {
    const reply = await this.request({
      case: "sync",
      value: { userId: this.identity.userId, deviceId: this.identity.deviceId, items },
    });
    if (reply.case !== "sync") throw new SyncError(Code.INTERNAL, `relay answered sync with ${reply.case}`);
    return reply.value.results;
  }

  async pull(cursor: bigint, catalogCursor: bigint, limit = 0): Promise<PullResponse> {
    const reply = await this.request({ case: "pull", value: { cursor, catalogCursor, limit } });
    if (reply.case !== "pull") throw new SyncError(Code.INTERNAL, `relay answered pull with ${reply.case}`);
    return reply.value;
  }

  close(): void {
    this.connection.close();
    this.shutdown("closed by device");
  }

  /** Resolves with the reply; an Error frame rejects with its SyncError. */
  private request(body: DeviceBodyInit): Promise<Exclude<Reply, { case: "error" }>> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new SyncError(Code.UNAVAILABLE, `connection closed: ${this.closedReason}`));
    }
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new SyncError(Code.UNAVAILABLE, `no reply from the relay within ${this.timeoutMs} ms`));
        // A relay that stops answering is treated as gone: the next sync reconnects.
        this.close();
      }, this.timeoutMs);
      this.pending.set(requestId, {
        resolve: (reply) => {
          if (reply.case === "error") {
            reject(new SyncError(reply.value.code, reply.value.message, reply.value.retryAfterMs));
          } else {
            resolve(reply);
          }
        },
        reject,
        timer,
      });
      this.connection.send(encodeDeviceFrame(requestId, body));
    });
  }

  private receive(frame: Uint8Array): void {
    let decoded: ReturnType<typeof decodeRelayFrame>;
    try {
      decoded = decodeRelayFrame(frame);
    } catch {
      this.close(); // a relay that speaks garbage is not one we keep talking to
      return;
    }
    if (decoded.requestId === 0) {
      if (decoded.body.case === "changes") this.onChanges(decoded.body.value.entities);
      return;
    }
    const pending = this.pending.get(decoded.requestId);
    if (!pending) return;
    this.pending.delete(decoded.requestId);
    this.timers.clearTimeout(pending.timer);
    pending.resolve(decoded.body);
  }

  private shutdown(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const [id, pending] of this.pending) {
      this.timers.clearTimeout(pending.timer);
      pending.reject(new SyncError(Code.UNAVAILABLE, `connection closed: ${reason}`));
      this.pending.delete(id);
    }
    this.onClosed(reason);
  }
}

/**
 * A connection attempt that is never answered (a path that swallows bytes) must not hang the
 * sync run: it fails with UNAVAILABLE after `timeoutMs`, and a connection that opens later is
 * closed.
 */
function connectWithin(transport: Transport, timers: Timers, timeoutMs: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = timers.setTimeout(() => {
      timedOut = true;
      reject(new SyncError(Code.UNAVAILABLE, `could not connect to the relay within ${timeoutMs} ms`));
    }, timeoutMs);
    transport.connect().then(
      (connection) => {
        timers.clearTimeout(timer);
        if (timedOut) connection.close();
        else resolve(connection);
      },
      (err: unknown) => {
        timers.clearTimeout(timer);
        reject(err instanceof Error ? err : new SyncError(Code.UNAVAILABLE, String(err)));
      },
    );
  });
}
