// The device's connection to the relay: opened when a run needs it, kept while it lives (the
// relay's fan-out arrives on it), and measured at every handshake (the relay's time corrects the
// device's clock offset).
// Specification: docs/sync-engine.md
import type { EntitySnapshot } from "../../../schema/protocol/frames.js";
import type { Timers } from "../clock/timers.js";
import { RelaySession, type DeviceIdentity } from "../transport/relay-session.js";
import type { Transport } from "../transport/transport.js";

export interface RelayConnectionOptions {
  transport: Transport;
  identity: DeviceIdentity;
  timers: Timers;
  requestTimeoutMs: number;
  /** The relay pushed other devices' changes. */
  onChanges(entities: EntitySnapshot[]): void;
  /** The connection dropped while open (the scheduler reconnects with back-off). */
  onLost(): void;
  /** The relay said its time in the handshake, `localTime` being this device's clock then. */
  onRelayTime(serverTime: number, localTime: number): Promise<void>;
  /** Something the app shows (online, connecting) changed. */
  notify(): void;
}

export class RelayConnection {
  private session: RelaySession | undefined;
  private opening = false;

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
    if (this.session?.isOpen) return this.session;
    this.opening = true;
    this.o.notify();
    try {
      return await this.handshake();
    } finally {
      this.opening = false;
    }
  }

  close(): void {
    const session = this.session;
    this.session = undefined;
    session?.close();
  }

  private async handshake(): Promise<RelaySession> {
    // Filled in once open() returns: the connection may close during the handshake, before that.
    const opened: { session?: RelaySession } = {};
    const sentAt = this.o.timers.now();
    const session = await RelaySession.open({
      transport: this.o.transport,
      identity: this.o.identity,
      timers: this.o.timers,
      timeoutMs: this.o.requestTimeoutMs,
      onChanges: (entities) => this.o.onChanges(entities),
      onClosed: () => {
        if (!opened.session || this.session !== opened.session) return;
        this.session = undefined;
        this.o.onLost();
        this.o.notify();
      },
    });
    opened.session = session;
    this.session = session;
    const serverTime = Number(session.welcome?.serverTime ?? 0n);
    // The relay read its clock between our send and its reply arriving: halfway is the best guess.
    if (serverTime > 0) await this.o.onRelayTime(serverTime, Math.round((sentAt + this.o.timers.now()) / 2));
    this.o.notify();
    return session;
  }
}
