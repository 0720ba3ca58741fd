// The sync engine: one run connects, pushes the queue's due items (sync-policy.ts decides which),
// pulls what other devices pushed, and reports. Runs never overlap; a sync asked for during a run
// coalesces into one more run after it. Failures become state on the items (retryCount,
// nextAttemptAt, lastError) and on the engine (error), never a silent catch.
// Specification: docs/sync-engine.md
import type { EntitySnapshot } from "../../../schema/protocol/frames.js";
import { Code, SyncError, codeName } from "../../../schema/status.js";
import type { Credentials } from "../auth/credentials.js";
import type { ResolutionTally } from "../conflicts/resolution-tally.js";
import type { Timers } from "../clock/timers.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { SyncQueue } from "../queue/sync-queue.js";
import type { DeviceIdentity, RelaySession } from "../transport/relay-session.js";
import type { Transport } from "../transport/transport.js";
import type { Mutex } from "../storage/write-lock.js";
import { Puller, type PullCursors } from "./pull.js";
import { Pusher, asSyncError } from "./push.js";
import { RelayConnection, type ConnectionLoss } from "./relay-connection.js";
import type { RemoteChanges } from "./remote-changes.js";
import { batchLimits, selectForRun, type BatchLimits } from "./sync-policy.js";
import type { SyncTrigger } from "./sync-scheduler.js";
import { deviceHealth } from "./device-health.js";
import { SyncTotals, emptyReport, type SyncLogger, type SyncProgress, type SyncReport } from "./sync-types.js";

export type { SyncLogger, SyncProgress, SyncReport } from "./sync-types.js";
export type { PullCursors } from "./pull.js";

export interface SyncEngineOptions {
  transport: Transport;
  identity: DeviceIdentity;
  credentials: Credentials;
  entities: EntityStore;
  queue: SyncQueue;
  remote: RemoteChanges;
  lock: Mutex;
  timers: Timers;
  loadCursors(): PullCursors;
  saveCursors(cursors: PullCursors): Promise<void>;
  /** Called after anything the app shows may have changed. */
  notify(): void;
  /** The connection dropped (the scheduler reconnects: at once if the relay is restarting, else with back-off). */
  onConnectionLost(cause: ConnectionLoss): void;
  /** A run finished well (the time is kept with the device's state). */
  onSynced(at: number): Promise<void>;
  /** The relay said its time in the handshake (the device corrects its clock's offset). */
  onRelayTime(serverTime: number, localTime: number): Promise<void>;
  log: SyncLogger;
  requestTimeoutMs: number;
  /** The device's own batch limits; the relay's announced limits also apply. */
  batch: BatchLimits;
  /** How this device settled conflicts, reported with pulls. */
  tally: ResolutionTally;
}

export class SyncEngine {
  private readonly connection: RelayConnection;
  private readonly pusher: Pusher;
  private readonly puller: Puller;
  private running: Promise<SyncReport> | undefined;
  private rerun: { promise: Promise<SyncReport>; trigger: SyncTrigger } | undefined;
  private pulledOn: RelaySession | undefined;
  private lastError: SyncError | undefined;
  /** A settlement queued new work during this run: push it in one more run, right after. */
  private newWork = false;
  lastSyncAt: number | null = null;
  readonly totals = new SyncTotals();

  constructor(private readonly o: SyncEngineOptions) {
    this.connection = new RelayConnection({
      transport: o.transport,
      identity: o.identity,
      credentials: o.credentials,
      timers: o.timers,
      requestTimeoutMs: o.requestTimeoutMs,
      onChanges: (entities) => void this.applyLive(entities),
      onLost: (cause) => {
        o.log.event("connection_lost", { device_id: o.identity.deviceId, cause });
        o.onConnectionLost(cause);
      },
      onRelayTime: (serverTime, localTime) => o.onRelayTime(serverTime, localTime),
      notify: () => o.notify(),
    });
    this.pusher = new Pusher({
      entities: o.entities,
      queue: o.queue,
      remote: o.remote,
      lock: o.lock,
      log: o.log,
      deviceId: o.identity.deviceId,
      totals: this.totals,
      now: () => o.timers.now(),
      random: () => o.timers.random(),
      notify: () => o.notify(),
      reconnect: () => {
        this.connection.close();
        return this.connection.open();
      },
    });
    this.puller = new Puller({
      remote: o.remote,
      lock: o.lock,
      loadCursors: () => o.loadCursors(),
      saveCursors: (cursors) => o.saveCursors(cursors),
      health: (protocolVersion) => deviceHealth(o.queue, o.tally, protocolVersion),
      healthReported: (health) => o.tally.reported(health.resolutions ?? []),
    });
  }

  get online(): boolean {
    return this.connection.online;
  }

  /** A connection is being set up: a change saved meanwhile starts a push right after it. */
  get connecting(): boolean {
    return this.connection.connecting;
  }

  get error(): SyncError | undefined {
    return this.lastError;
  }

  get progress(): SyncProgress | undefined {
    return this.pusher.progress;
  }

  isInFlight(entityId: string): boolean {
    return this.pusher.isInFlight(entityId);
  }

  /** New work was queued outside a local change (a settlement): pushed at once. */
  queueNewWork(): void {
    if (this.running) this.newWork = true;
    else if (this.online) void this.syncNow("local_change").catch(() => undefined); // a failure is state
  }

  syncNow(trigger: SyncTrigger = "manual"): Promise<SyncReport> {
    if (!this.running) {
      this.running = this.run(trigger).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    if (this.rerun) {
      if (trigger === "manual") this.rerun.trigger = "manual";
      return this.rerun.promise;
    }
    const rerun = { trigger, promise: undefined as unknown as Promise<SyncReport> };
    rerun.promise = this.running
      .catch(() => undefined)
      .then(() => {
        this.rerun = undefined;
        return this.syncNow(rerun.trigger);
      });
    this.rerun = rerun;
    return rerun.promise;
  }

  disconnect(): void {
    this.connection.close();
  }

  /** For good: no connection is made again, and resolves once the run on its way has ended. */
  async stop(): Promise<void> {
    this.connection.shutdown();
    await this.rerun?.promise.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  private async run(trigger: SyncTrigger): Promise<SyncReport> {
    const report = emptyReport(trigger);
    const started = this.o.timers.now();
    const due = selectForRun(this.o.queue.pending(), trigger, started);
    const wasOnline = this.online;
    this.totals.runs += 1;
    try {
      const pushedOn = await this.connect(due.filter((c) => c.counts).map((c) => c.item.entityId));
      // A connection made in this run means the relay is reachable again: items that failed while
      // it was not are tried now, whatever started the run, not when their retry timers come due.
      const candidates = wasOnline ? due : selectForRun(this.o.queue.pending(), trigger === "manual" ? "manual" : "reconnect", this.o.timers.now());
      await this.pusher.push(pushedOn, candidates, batchLimits(pushedOn.welcome, this.o.batch), report);
      // The push may have authenticated again on a new session: pull on the one open now.
      const session = await this.connection.open();
      // While connected the relay's fan-out brings other devices' changes; a push right after a
      // local change needs no pull once this connection has pulled.
      if (trigger !== "local_change" || this.pulledOn !== session) {
        await this.puller.pull(session, report);
        this.pulledOn = session;
      }
      await this.succeeded(report, started);
      return report;
    } catch (err) {
      this.totals.failedRuns += 1;
      this.lastError = asSyncError(err);
      this.o.log.event("sync_failed", {
        device_id: this.o.identity.deviceId,
        trigger,
        code: codeName(this.lastError.code),
        message: this.lastError.message,
        duration_ms: this.o.timers.now() - started,
      });
      throw this.lastError;
    } finally {
      this.o.notify();
    }
  }

  /** Opens the connection. Not reaching the relay is never the items' fault: they stay pending on their schedule. */
  private async connect(counted: string[]): Promise<RelaySession> {
    try {
      return await this.connection.open();
    } catch (err) {
      const error = asSyncError(err, Code.UNAVAILABLE);
      // Signed out: the queue waits for the person to sign in, counting nothing against its items.
      if (error.code === Code.UNAUTHENTICATED) throw error;
      const transient = new SyncError(Code.UNAVAILABLE, `cannot sync: ${error.message}`);
      await this.o.lock.run(async () => {
        for (const id of counted) await this.o.queue.recordFailure(id, transient, true, this.o.timers.now(), () => this.o.timers.random());
      });
      throw error;
    }
  }

  private async succeeded(report: SyncReport, started: number): Promise<void> {
    this.lastError = undefined;
    if (this.newWork) {
      // A settlement during this run queued the result: it goes out now, not at a later trigger.
      this.newWork = false;
      void this.syncNow("local_change").catch(() => undefined); // a failure is state
    }
    this.lastSyncAt = this.o.timers.now();
    await this.o.onSynced(this.lastSyncAt);
    const duration = this.lastSyncAt - started;
    this.totals.recordLatency(duration);
    this.o.log.event("sync_success", {
      device_id: this.o.identity.deviceId,
      trigger: report.trigger,
      items_synced: report.pushed,
      items_pulled: report.pulled,
      conflicts: report.conflicts,
      errors: report.errors,
      duration_ms: duration,
    });
  }

  private async applyLive(entities: EntitySnapshot[]): Promise<void> {
    try {
      if (await this.puller.applyLive(entities)) void this.syncNow("changes_available").catch(() => undefined); // failure is state
    } catch (err) {
      this.o.log.event("live_apply_failed", { device_id: this.o.identity.deviceId, message: (err as Error).message });
    } finally {
      this.o.notify();
    }
  }
}
