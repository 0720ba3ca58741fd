// A session with the relay over any Connection: the Hello handshake, requests matched to
// replies by request id, and the relay's unasked ChangesAvailable pushes.
// Specification: docs/sync-protocol.md
import { Code, SyncError } from "../../../schema/status.js";
import {
  MIN_PROTOCOL_VERSION,
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
import type { DeviceHealthSchema, SyncItemSchema } from "../../../schema/protocol/frames.js";
import type { Timers } from "../clock/timers.js";
import type { Connection, Transport } from "./transport.js";

export interface DeviceIdentity {
  userId: string;
  deviceId: string;
  deviceName: string;
}

export type SyncItemInit = MessageInitShape<typeof SyncItemSchema>;
export type DeviceHealthInit = MessageInitShape<typeof DeviceHealthSchema>;

interface Pending {
  resolve(body: Reply): void;
  reject(err: SyncError): void;
  timer: unknown;
}

type Reply = ReturnType<typeof decodeRelayFrame>["body"];

interface SessionOptions {
  transport: Transport;
  identity: DeviceIdentity;
  /** The access token Hello carries: the relay takes the user and device from it. */
  accessToken: string;
  timers: Timers;
  timeoutMs: number;
  onChanges: (entities: EntitySnapshot[]) => void;
  /** `code`: the relay's WebSocket close code, when it closed the connection with one. */
  onClosed: (reason: string, code?: number) => void;
}

export class RelaySession {
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedReason: string | undefined;
  private heardAt: number;
  welcome: Welcome | undefined;

  private constructor(
    private readonly connection: Connection,
    private readonly identity: DeviceIdentity,
    private readonly timers: Timers,
    private readonly timeoutMs: number,
    private readonly onChanges: (entities: EntitySnapshot[]) => void,
    private readonly onClosed: (reason: string, code?: number) => void,
  ) {
    this.heardAt = timers.now();
    connection.onFrame((frame) => this.receive(frame));
    connection.onClose((reason, code) => this.shutdown(reason, code));
  }

  /**
   * Connects and says Hello, offering every protocol version this device speaks. A relay of the
   * previous release refuses a range it does not know (UNIMPLEMENTED, and closes): the device
   * connects once more offering only the previous version, so old relays and new apps still sync.
   */
  static async open(options: SessionOptions): Promise<RelaySession> {
    try {
      return await RelaySession.handshake(options, { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION });
    } catch (err) {
      if (!(err instanceof SyncError) || err.code !== Code.UNIMPLEMENTED) throw err;
      return RelaySession.handshake(options, { min: 0, max: MIN_PROTOCOL_VERSION });
    }
  }

  private static async handshake(options: SessionOptions, versions: { min: number; max: number }): Promise<RelaySession> {
    const connection = await connectWithin(options.transport, options.timers, options.timeoutMs);
    const session = new RelaySession(connection, options.identity, options.timers, options.timeoutMs, options.onChanges, options.onClosed);
    const reply = await session
      .request({ case: "hello", value: { protocolVersion: versions.max, minProtocolVersion: versions.min, accessToken: options.accessToken, ...options.identity } })
      .catch((err: unknown) => {
        session.close();
        throw err;
      });
    if (reply.case !== "welcome") {
      connection.close();
      throw new SyncError(Code.INTERNAL, `relay answered hello with ${reply.case}`);
    }
    session.welcome = reply.value;
    return session;
  }

  /** The protocol version this connection speaks. */
  get version(): number {
    return this.welcome?.protocolVersion ?? 0;
  }

  /** Requests sent and not answered yet. */
  get awaitingReplies(): number {
    return this.pending.size;
  }

  /** When the relay was last heard from, on the device's timers. */
  get lastHeardAt(): number {
    return this.heardAt;
  }

  /** Resolves when the relay answers (version 2 on); rejects UNAVAILABLE after `timeoutMs` of silence. */
  async ping(timeoutMs: number): Promise<void> {
    const reply = await this.request({ case: "ping", value: {} }, timeoutMs);
    if (reply.case !== "pong") throw new SyncError(Code.INTERNAL, `relay answered ping with ${reply.case}`);
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

  /**
   * `health`, the device's sync figures, goes along on a version 3 connection (older relays would
   * ignore it anyway); its resolutions only on version 4 on, since the device counts them as told
   * (their entity type, new in version 5, is a field a version 4 relay skips).
   */
  async pull(cursor: bigint, catalogCursor: bigint, limit = 0, health?: DeviceHealthInit): Promise<PullResponse> {
    const sent = health && this.version >= 3 ? { health: this.version >= 4 ? health : { ...health, resolutions: [] } } : {};
    const reply = await this.request({ case: "pull", value: { cursor, catalogCursor, limit, ...sent } });
    if (reply.case !== "pull") throw new SyncError(Code.INTERNAL, `relay answered pull with ${reply.case}`);
    return reply.value;
  }

  close(): void {
    this.connection.close();
    this.shutdown("closed by device");
  }

  /** Resolves with the reply; an Error frame rejects with its SyncError. */
  private request(body: DeviceBodyInit, timeoutMs = this.timeoutMs): Promise<Exclude<Reply, { case: "error" }>> {
    if (this.closedReason !== undefined) {
      return Promise.reject(new SyncError(Code.UNAVAILABLE, `connection closed: ${this.closedReason}`));
    }
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new SyncError(Code.UNAVAILABLE, `no reply from the relay within ${timeoutMs} ms`));
        // A relay that stops answering is treated as gone: the next sync reconnects.
        this.close();
      }, timeoutMs);
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
    this.heardAt = this.timers.now();
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

  private shutdown(reason: string, code?: number): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const [id, pending] of this.pending) {
      this.timers.clearTimeout(pending.timer);
      pending.reject(new SyncError(Code.UNAVAILABLE, `connection closed: ${reason}`));
      this.pending.delete(id);
    }
    this.onClosed(reason, code);
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
