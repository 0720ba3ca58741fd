// One device connection, independent of the socket library: frames in, frames out. The first
// frame must be Hello; every reply carries its request's id; errors are Error frames with a
// status code, and the connection stays open unless the session cannot go on.
// Specification: docs/sync-protocol.md
import { CloseCode } from "../schema/protocol/close-codes.js";
import { Code, SyncError } from "../schema/status.js";
import {
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  decodeDeviceFrame,
  negotiateVersion,
  encodeRelayFrame,
  readRequestId,
  type EntitySnapshot,
  type RelayBodyInit,
} from "../schema/protocol/frames.js";
import type { Clock, TimerHandle } from "./clock.js";
import type { Fanout } from "./fanout.js";
import type { RelayLimits } from "./limits.js";
import type { Logger } from "./logger.js";
import type { SyncObserver } from "./sync-observer.js";
import type { AccountService } from "./auth/account-service.js";
import { authenticate, type Principal } from "./pipeline/authenticate.js";
import type { SyncService } from "./sync-service.js";

/** What a session needs of a socket. */
export interface SocketLike {
  send(frame: Uint8Array): void;
  close(code: number, reason: string): void;
}

/** WebSocket close codes the relay uses (shared with devices, which act on RELAY_RESTARTING). */
export { CloseCode };

/** What every session of one relay shares. */
export interface SessionContext {
  service: SyncService;
  accounts: AccountService;
  /** Sessions by user and device, so a revoked device's connections can be closed at once. */
  live: LiveSessions;
  fanout: Fanout;
  limits: RelayLimits;
  log: Logger;
  clock: Clock;
  /** Logs and counts each SyncRequest and fan-out (sync-observer.ts); none in a session built without it. */
  observer?: SyncObserver;
}

export class Session {
  private principal: Principal | undefined;
  private helloPending = false;
  /** The protocol version this connection speaks, once Hello is done. */
  private version = 0;
  private unsubscribe: (() => void) | undefined;
  private tokens: number;
  private lastRefill: number;
  /** Request ids received and not answered yet: a reply must name one request only. */
  private readonly pending = new Set<number>();
  /** Frames of one connection are handled in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  private lastHeard: number;
  private idleTimer: TimerHandle = undefined;
  private ended = false;
  /** The relay is stopping: new frames are refused, the ones received are still answered. */
  private draining = false;
  /** Requests refused because they arrived while the relay was draining (for its shutdown log). */
  refusedWhileDraining = 0;
  private readonly service: SyncService;
  private readonly accounts: AccountService;
  private readonly live: LiveSessions;
  private readonly fanout: Fanout;
  private readonly limits: RelayLimits;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly observer: SyncObserver | undefined;

  constructor(
    private readonly socket: SocketLike,
    context: SessionContext,
  ) {
    this.service = context.service;
    this.accounts = context.accounts;
    this.live = context.live;
    this.fanout = context.fanout;
    this.limits = context.limits;
    this.log = context.log;
    this.clock = context.clock;
    this.observer = context.observer;
    this.tokens = this.limits.framesPerSecond;
    this.lastRefill = this.clock.now();
    this.lastHeard = this.lastRefill;
    this.armIdleTimer(this.limits.idleTimeoutMs);
  }

  /**
   * A frame arrived: it is queued behind the connection's earlier frames. A frame whose request id
   * is still waiting for its answer is dropped, not answered: one id gets one answer, the first
   * frame's. A refusal sent back on that id reached the device before the first frame's answer
   * and was taken as it: a push the relay went on to store was recorded on the device as refused
   * (the convergence property caught it with a duplicated frame).
   */
  accept(frame: Uint8Array): Promise<void> {
    this.lastHeard = this.clock.now();
    const requestId = readRequestId(frame);
    if (requestId !== 0 && this.pending.has(requestId)) {
      this.log.info("duplicate_request_dropped", { request_id: requestId });
      return this.queue;
    }
    if (this.draining) {
      // Not queued: the queue must empty so the connection can close. The device sends it again
      // on the relay it reconnects to.
      this.refusedWhileDraining += 1;
      this.sendError(requestId, new SyncError(Code.UNAVAILABLE, "the relay is restarting: reconnect and send this again"));
      return this.queue;
    }
    if (requestId !== 0) this.pending.add(requestId);
    this.queue = this.queue
      .then(() => this.receive(frame))
      .catch((err: unknown) => this.log.error("frame_failed", { error: String(err), request_id: requestId }))
      .finally(() => this.pending.delete(requestId));
    return this.queue;
  }

  private async receive(frame: Uint8Array): Promise<void> {
    const requestId = readRequestId(frame);
    let closeOnError = false;
    try {
      if (frame.length > this.limits.maxFrameBytes) {
        throw new SyncError(Code.RESOURCE_EXHAUSTED, `frame of ${frame.length} bytes exceeds ${this.limits.maxFrameBytes}`);
      }
      this.takeToken();
      let body;
      try {
        body = decodeDeviceFrame(frame).body;
      } catch (err) {
        // Before hello, bytes that are not a hello are no device speaking this protocol.
        if (!this.principal) throw new SyncError(Code.UNAUTHENTICATED, "the first frame must be hello");
        throw err;
      }
      if (body.case === "hello") closeOnError = !this.principal;
      if (requestId === 0) {
        if (!this.principal) throw new SyncError(Code.UNAUTHENTICATED, "the first frame must be hello, with a request id other than 0");
        throw new SyncError(Code.INVALID_ARGUMENT, "request id 0 is for frames the relay sends unasked; number requests from 1");
      }
      switch (body.case) {
        case "hello":
          await this.hello(requestId, { min: body.value.minProtocolVersion, max: body.value.protocolVersion }, () => authenticate(body.value, this.accounts));
          return;
        case "sync": {
          const principal = this.requirePrincipal();
          const observed = this.observer?.started(requestId, principal, body.value);
          const results = await this.service.sync(principal, body.value).catch((err: unknown) => {
            observed?.refused(err);
            throw err;
          });
          this.send(requestId, { case: "sync", value: { results } });
          observed?.answered(results);
          return;
        }
        case "pull": {
          const principal = this.requirePrincipal();
          if (body.value.health) this.observer?.deviceReported(this, body.value.health);
          const page = await this.service.pull(principal, body.value.cursor, body.value.catalogCursor, body.value.limit);
          this.send(requestId, { case: "pull", value: page });
          return;
        }
        case "ping":
          this.requirePrincipal();
          if (this.version < 2) throw new SyncError(Code.UNIMPLEMENTED, "ping is protocol version 2; this connection speaks 1");
          this.send(requestId, { case: "pong", value: { serverTime: BigInt(this.clock.now()) } });
          return;
      }
    } catch (err) {
      this.sendError(requestId, err);
      // A hello that fails (version, credentials) and any frame without a session end the
      // connection; other refusals leave it open.
      if (err instanceof SyncError && (err.code === Code.UNAUTHENTICATED || closeOnError)) {
        this.end(CloseCode.POLICY_VIOLATION, err.message.slice(0, 120));
      }
    }
  }

  closed(): void {
    this.observer?.deviceGone(this);
    this.ended = true;
    if (this.idleTimer !== undefined) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.principal) this.live.remove(this.principal, this);
  }

  /**
   * The relay is stopping: every frame already received is handled and answered, later ones are
   * refused with UNAVAILABLE; once the last answer is sent the connection closes with
   * RELAY_RESTARTING, which tells the device to reconnect at once. Resolves when that close was
   * sent (or the connection had already ended).
   */
  async drain(): Promise<void> {
    this.draining = true;
    // A frame accepted before `draining` was set may have chained onto the queue meanwhile.
    let handled: Promise<void>;
    do {
      handled = this.queue;
      await handled;
    } while (handled !== this.queue);
    this.end(CloseCode.RELAY_RESTARTING, "relay restarting: reconnect");
  }

  /** The device was revoked: it is told why, and the connection closes. */
  revoked(): void {
    this.sendError(0, new SyncError(Code.UNAUTHENTICATED, "this device was signed out on another device: sign in"));
    this.end(CloseCode.POLICY_VIOLATION, "device revoked");
  }

  private end(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.close(code, reason);
  }

  /** Closes the connection once nothing was heard for idleTimeoutMs of the relay's clock. */
  private armIdleTimer(ms: number): void {
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.ended) return;
      const silent = Math.max(0, this.clock.now() - this.lastHeard);
      if (silent >= this.limits.idleTimeoutMs) {
        this.log.info("connection_idle_closed", { silent_ms: silent, user_id: this.principal?.userId });
        this.end(CloseCode.GOING_AWAY, `nothing heard for ${this.limits.idleTimeoutMs} ms`);
      } else {
        this.armIdleTimer(this.limits.idleTimeoutMs - silent);
      }
    }, ms);
  }

  private async hello(requestId: number, offered: { min: number; max: number }, decide: () => Promise<Principal>): Promise<void> {
    if (this.principal || this.helloPending) throw new SyncError(Code.FAILED_PRECONDITION, "hello was already received");
    const version = negotiateVersion(offered, { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION });
    if (version === undefined) {
      const tooOld = offered.max < MIN_PROTOCOL_VERSION;
      throw new SyncError(
        Code.UNIMPLEMENTED,
        tooOld
          ? `protocol version ${offered.max} is too old: update the app (this relay speaks ${MIN_PROTOCOL_VERSION} to ${PROTOCOL_VERSION})`
          : `protocol version ${offered.max} is newer than this relay's (${MIN_PROTOCOL_VERSION} to ${PROTOCOL_VERSION})`,
      );
    }
    this.helloPending = true;
    const principal = await decide().finally(() => {
      this.helloPending = false;
    });
    this.principal = principal;
    this.version = version;
    this.live.add(principal, this);
    this.unsubscribe = this.fanout.subscribe(principal.userId, {
      deviceId: principal.deviceId,
      deliver: (entities: EntitySnapshot[]) => {
        this.socket.send(changesFrame(entities));
        this.observer?.fannedOut(entities.map((e) => Number(e.serverTime)), this.clock.now());
      },
    });
    // Welcome only once the fan-out reaches this session from every relay: a device pulls after
    // Welcome, so nothing committed in between falls through the gap.
    await this.fanout.ready();
    this.log.info("device_connected", { user_id: principal.userId, device_id: principal.deviceId });
    this.send(requestId, {
      case: "welcome",
      value: {
        protocolVersion: version,
        serverTime: BigInt(this.clock.now()),
        maxFrameBytes: this.limits.maxFrameBytes,
        maxBatchItems: this.limits.maxBatchItems,
      },
    });
  }

  private requirePrincipal(): Principal {
    if (!this.principal) throw new SyncError(Code.UNAUTHENTICATED, "the first frame must be hello");
    // The token was checked at hello; past its expiry the device refreshes it and says hello again.
    if (this.clock.now() >= this.principal.expiresAt) throw new SyncError(Code.UNAUTHENTICATED, "access token expired: refresh it");
    return this.principal;
  }

  private takeToken(): void {
    const now = this.clock.now();
    // A wall clock set back gives a negative interval: no refill, never a debt.
    const refill = (Math.max(0, now - this.lastRefill) / 1000) * this.limits.framesPerSecond;
    this.tokens = Math.min(this.limits.framesPerSecond, this.tokens + refill);
    this.lastRefill = now;
    if (this.tokens < 1) {
      const retryAfterMs = Math.ceil(((1 - this.tokens) / this.limits.framesPerSecond) * 1000);
      throw new SyncError(Code.RESOURCE_EXHAUSTED, "too many frames; slow down", retryAfterMs);
    }
    this.tokens -= 1;
  }

  private send(requestId: number, body: RelayBodyInit): void {
    this.socket.send(encodeRelayFrame(requestId, body));
  }

  private sendError(requestId: number, err: unknown): void {
    const error =
      err instanceof SyncError ? err : new SyncError(Code.INTERNAL, "internal error");
    if (!(err instanceof SyncError)) this.log.error("request_failed", { error: String(err), request_id: requestId });
    this.send(requestId, {
      case: "error",
      value: {
        code: error.code,
        message: error.detail,
        retryAfterMs: error.retryAfterMs,
      },
    });
  }
}

/** The open sessions of each device, so revoking a device closes its connections at once. */
export class LiveSessions {
  private readonly byDevice = new Map<string, Set<Session>>();

  add(principal: Principal, session: Session): void {
    const key = deviceKey(principal.userId, principal.deviceId);
    let set = this.byDevice.get(key);
    if (!set) this.byDevice.set(key, (set = new Set()));
    set.add(session);
  }

  remove(principal: Principal, session: Session): void {
    const key = deviceKey(principal.userId, principal.deviceId);
    const set = this.byDevice.get(key);
    set?.delete(session);
    if (set?.size === 0) this.byDevice.delete(key);
  }

  revoke(userId: string, deviceId: string): void {
    for (const session of [...(this.byDevice.get(deviceKey(userId, deviceId)) ?? [])]) session.revoked();
  }
}

function deviceKey(userId: string, deviceId: string): string {
  return `${userId}\u0000${deviceId}`;
}

/**
 * One publish hands every session it reaches the same array: its frame is encoded once for all
 * of them (unasked frames carry request id 0, so the bytes are the same for every session).
 */
const changesFrames = new WeakMap<EntitySnapshot[], Uint8Array>();

function changesFrame(entities: EntitySnapshot[]): Uint8Array {
  let frame = changesFrames.get(entities);
  if (!frame) changesFrames.set(entities, (frame = encodeRelayFrame(0, { case: "changes", value: { entities } })));
  return frame;
}
