// The device's connection to the relay: opened when a run needs it, kept while it lives (the
// relay's fan-out arrives on it), measured at every handshake (the relay's time corrects the
// device's clock offset), and checked by a heartbeat: a connection silent for `heartbeatMs` is
// pinged, and one that stays silent as long again is closed, so the app says "offline" within
// seconds of the network going, not when TCP gives up minutes later.
// Specification: docs/sync-engine.md
import type { EntitySnapshot } from "../../../schema/protocol/frames.js";
import { CloseCode } from "../../../schema/protocol/close-codes.js";
import { Code, SyncError } from "../../../schema/status.js";
import type { Credentials } from "../auth/credentials.js";
import type { Timers } from "../clock/timers.js";
import { RelaySession, type DeviceIdentity } from "../transport/relay-session.js";
import type { Transport } from "../transport/transport.js";

/** Why an open connection ended: the relay drained it on purpose, or it dropped. */
export type ConnectionLoss = "relay_restarting" | "dropped";

export interface RelayConnectionOptions {
  transport: Transport;
  identity: DeviceIdentity;
  credentials: Credentials;
  timers: Timers;
  requestTimeoutMs: number;
  /** Silence after which the relay is pinged, and then declared gone (default 5 s). */
  heartbeatMs?: number;
  /** The relay pushed other devices' changes. */
  onChanges(entities: EntitySnapshot[]): void;
  /**
   * The connection dropped while open: "relay_restarting" when the relay drained it before
   * stopping (reconnect at once, another relay answers), else "dropped" (reconnect with back-off).
   */
  onLost(cause: ConnectionLoss): void;
  /** The relay said its time in the handshake, `localTime` being this device's clock then. */
  onRelayTime(serverTime: number, localTime: number): Promise<void>;
  /** Something the app shows (online, connecting) changed. */
  notify(): void;
}

export class RelayConnection {
  private session: RelaySession | undefined;
  private opening = false;
  private heartbeatTimer: unknown;
  private shut = false;

  constructor(private readonly o: RelayConnectionOptions) {}

  get online(): boolean {
    return this.session?.isOpen ?? false;
  }

  /** A connection is being set up: a change saved meanwhile starts a push right after it. */
  get connecting(): boolean {
    return this.opening;
  }

  /** The open session, or a new one. Rejects with a SyncError (UNAVAILABLE when unreachable). */
  async open(): Promise<RelaySession> {
    if (this.shut) throw deviceClosed();
    if (this.session?.isOpen) return this.session;
    this.opening = true;
    this.o.notify();
    try {
      return await this.handshake();
    } finally {
      this.opening = false;
    }
  }

  /** For good (the device is closing): a handshake still on its way ends without a session. */
  shutdown(): void {
    this.shut = true;
    this.close();
  }

  close(): void {
    const session = this.session;
    this.session = undefined;
    this.stopHeartbeat();
    session?.close();
  }

  /**
   * Hello with the access token; a token the relay refuses (expired while the device slept, say)
   * is refreshed once and Hello said again. A refresh the relay refuses signs the device out.
   */
  private async handshake(): Promise<RelaySession> {
    try {
      return await this.hello(await this.o.credentials.accessToken());
    } catch (err) {
      if (!(err instanceof SyncError) || err.code !== Code.UNAUTHENTICATED) throw err;
      return this.hello(await this.o.credentials.renew());
    }
  }

  private async hello(accessToken: string): Promise<RelaySession> {
    // Filled in once open() returns: the connection may close during the handshake, before that.
    const opened: { session?: RelaySession } = {};
    const sentAt = this.o.timers.now();
    const session = await RelaySession.open({
      transport: this.o.transport,
      identity: this.o.identity,
      accessToken,
      timers: this.o.timers,
      timeoutMs: this.o.requestTimeoutMs,
      onChanges: (entities) => this.o.onChanges(entities),
      onClosed: (_reason, code) => {
        if (!opened.session || this.session !== opened.session) return;
        this.session = undefined;
        this.stopHeartbeat();
        this.o.onLost(code === CloseCode.RELAY_RESTARTING ? "relay_restarting" : "dropped");
        this.o.notify();
      },
    });
    if (this.shut) {
      session.close();
      throw deviceClosed();
    }
    opened.session = session;
    this.session = session;
    const serverTime = Number(session.welcome?.serverTime ?? 0n);
    // The relay read its clock between our send and its reply arriving: halfway is the best guess.
    if (serverTime > 0) await this.o.onRelayTime(serverTime, Math.round((sentAt + this.o.timers.now()) / 2));
    this.startHeartbeat(session);
    this.o.notify();
    return session;
  }

  /** Version 2 on: ping after `heartbeatMs` of silence; no answer within as long again closes the session. */
  private startHeartbeat(session: RelaySession): void {
    if (session.version < 2) return;
    const interval = this.o.heartbeatMs ?? 5_000;
    const { timers } = this.o;
    const beat = (): void => {
      this.heartbeatTimer = undefined;
      if (this.session !== session || !session.isOpen) return;
      const silent = timers.now() - session.lastHeardAt;
      if (silent < interval) {
        this.heartbeatTimer = timers.setTimeout(beat, interval - silent);
        return;
      }
      // A request on its way has its own deadline; a ping would only queue behind it at the relay.
      if (session.awaitingReplies > 0) {
        this.heartbeatTimer = timers.setTimeout(beat, interval);
        return;
      }
      session.ping(interval).then(
        () => {
          if (this.session === session) this.heartbeatTimer = timers.setTimeout(beat, interval);
        },
        // No answer: the connection is dead even if the socket has not noticed. Closing it tells
        // the engine (offline, reconnect with back-off).
        () => session.close(),
      );
    };
    this.stopHeartbeat();
    this.heartbeatTimer = timers.setTimeout(beat, interval);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) this.o.timers.clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }
}

function deviceClosed(): SyncError {
  return new SyncError(Code.UNAVAILABLE, "the device is closed");
}
