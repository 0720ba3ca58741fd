// A device's link to a LAN peer: a small relay of the same person on the same Wi-Fi, reached
// through the transport seam and spoken to in the relay's own protocol (Hello, Sync, Pull, the
// fan-out), so the peer applies the relay's version checks and validation to what it takes.
//
// What keeps the relay's versions right: the link keeps its own per-peer state (the peer's
// version and heads of each entity, and the peer cursor: peer-state.ts). What the peer carries
// enters this device as an import does (DataTransfer.takeIn): merged into the document, queued
// for the relay on the relay's version this device already knew. When the relay is back, every
// device pushes its changes there as usual; the relay's answer to the second device is a version
// conflict whose history already holds what the peer carried ("fast-forward" or "already merged"
// in reconcile.ts): no conflict for the person, no duplicate, no second version stored.
//
// One run: connect (Hello with the token the peer gave at pairing), pull every page after the
// peer cursor, then push every entity whose heads differ from the peer's; a version conflict at
// the peer merges the peer's document and pushes once more. Runs never overlap; a trigger during
// a run makes one more run after it. A lost connection is tried again with back-off.
// Specification: docs/peer-sync.md
import * as A from "@automerge/automerge";
import { isEntityType, type EntityType } from "../../../schema/entities.js";
import { Operation, SyncStatus, type EntitySnapshot } from "../../../schema/protocol/frames.js";
import { Code, SyncError } from "../../../schema/status.js";
import { CONFLICT_STRATEGIES } from "../../../schema/strategies.js";
import type { Timers } from "../clock/timers.js";
import type { EntityStore } from "../entities/entity-store.js";
import type { DataTransfer } from "../queue/export-import.js";
import type { Mutex } from "../storage/write-lock.js";
import type { SyncLogger } from "../sync/sync-types.js";
import { RelaySession, type DeviceIdentity, type SyncItemInit } from "../transport/relay-session.js";
import type { Transport } from "../transport/transport.js";
import { PeerKeyChanged } from "./peer-identity.js";
import type { PeerState } from "./peer-state.js";

export interface PeerLinkOptions {
  /** The peer's id (its store's), so versions of two peers are never mixed. */
  peerId: string;
  transport: Transport;
  /** What Hello carries: the token the peer issued to this device at pairing. */
  accessToken: string;
}

export interface PeerLinkParts {
  identity: DeviceIdentity;
  entities: EntityStore;
  transfer: DataTransfer;
  state: PeerState;
  lock: Mutex;
  timers: Timers;
  log: SyncLogger;
  requestTimeoutMs: number;
  /** Something the app shows changed. */
  notify(): void;
  /** The peer brought changes: they are queued for the relay (pushed now if it is reachable). */
  onNewWork(): void;
}

export interface PeerReport {
  pulled: number;
  pushed: number;
  /** Version conflicts at the peer, each settled by merging the peer's document. */
  merged: number;
  errors: number;
}

export interface PeerLinkStatus {
  connected: boolean;
  lastSyncAt: number | null;
  lastError: SyncError | undefined;
  /** Entities taken from the peer and handed to it since the link was made (what the app shows). */
  pulled: number;
  pushed: number;
}

const MAX_PUSH_ROUNDS = 3;
const BATCH_ITEMS = 100;
const RETRY_MS = [500, 1_000, 2_000, 5_000, 10_000, 30_000];

export class PeerLink {
  private session: RelaySession | undefined;
  private running: Promise<PeerReport> | undefined;
  private again = false;
  private closed = false;
  private retryTimer: unknown;
  private failures = 0;
  lastSyncAt: number | null = null;
  lastError: SyncError | undefined;
  private readonly totals = { pulled: 0, pushed: 0 };

  constructor(
    private readonly o: PeerLinkOptions,
    private readonly p: PeerLinkParts,
  ) {}

  get status(): PeerLinkStatus {
    return { connected: this.session?.isOpen ?? false, lastSyncAt: this.lastSyncAt, lastError: this.lastError, ...this.totals };
  }

  /** Something changed here or at the peer: sync soon (a failure becomes state, and a retry). */
  trigger(): void {
    if (this.closed) return;
    void this.syncNow().catch(() => undefined);
  }

  /** One run, or the run after the one on its way. Rejects with a SyncError. */
  syncNow(): Promise<PeerReport> {
    if (this.closed) return Promise.reject(new SyncError(Code.FAILED_PRECONDITION, "the peer link is closed"));
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = this.run().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.trigger();
      }
    });
    this.running = run;
    return run;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) this.p.timers.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.session?.close();
    this.session = undefined;
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<PeerReport> {
    const report: PeerReport = { pulled: 0, pushed: 0, merged: 0, errors: 0 };
    const counted = { ...this.totals };
    try {
      const session = await this.open();
      await this.pull(session, report);
      for (let round = 0; round < MAX_PUSH_ROUNDS; round++) {
        if (!(await this.push(session, report))) break;
      }
      this.failures = 0;
      this.lastError = undefined;
      this.lastSyncAt = this.p.timers.now();
      this.p.log.event("peer_sync_success", { device_id: this.p.identity.deviceId, peer_id: this.o.peerId, ...report });
      return report;
    } catch (err) {
      this.lastError = err instanceof SyncError ? err : new SyncError(Code.INTERNAL, err instanceof Error ? err.message : String(err));
      this.p.log.event("peer_sync_failed", { device_id: this.p.identity.deviceId, peer_id: this.o.peerId, code: this.lastError.code, message: this.lastError.message });
      // A peer with another identity key stays refused until the person forgets it: no retries.
      if (!(err instanceof PeerKeyChanged)) this.scheduleRetry();
      throw this.lastError;
    } finally {
      // Counted when taken (a run that fails half-way still brought what it brought).
      this.totals.pulled = counted.pulled + report.pulled;
      this.totals.pushed = counted.pushed + report.pushed;
      this.p.notify();
    }
  }

  private async open(): Promise<RelaySession> {
    if (this.session?.isOpen) return this.session;
    const session = await RelaySession.open({
      transport: this.o.transport,
      identity: this.p.identity,
      accessToken: this.o.accessToken,
      timers: this.p.timers,
      timeoutMs: this.p.requestTimeoutMs,
      // The peer's fan-out says another device pushed: pull it now.
      onChanges: () => this.trigger(),
      onClosed: () => {
        if (this.session !== session) return;
        this.session = undefined;
        this.p.notify();
        this.scheduleRetry();
      },
    });
    if (this.closed) {
      session.close();
      throw new SyncError(Code.FAILED_PRECONDITION, "the peer link is closed");
    }
    this.session = session;
    return session;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] ?? 30_000;
    this.failures += 1;
    this.retryTimer = this.p.timers.setTimeout(() => {
      this.retryTimer = undefined;
      this.trigger();
    }, delay);
  }

  /** Every page after the peer cursor; each document taken in as an import, the cursor saved after each page. */
  private async pull(session: RelaySession, report: PeerReport): Promise<void> {
    let brought = false;
    for (;;) {
      const page = await session.pull(this.p.state.cursor, 0n);
      for (const snapshot of page.entities) {
        if (await this.p.lock.run(() => this.takeFromPeer(snapshot, report))) brought = true;
      }
      if (page.cursor > this.p.state.cursor) await this.p.state.saveCursor(page.cursor);
      if (!page.hasMore) break;
    }
    if (brought) this.p.onNewWork();
  }

  /** Runs under the lock. True when the peer's document changed this device's. */
  private async takeFromPeer(snapshot: EntitySnapshot, report: PeerReport): Promise<boolean> {
    const type = snapshot.entityType;
    if (!isEntityType(type) || !CONFLICT_STRATEGIES[type].deviceWritable || snapshot.data.length === 0) return false;
    const known = this.p.state.get(snapshot.entityId);
    if (known && snapshot.version <= known.version) return false;
    const changed = await this.merge(type, snapshot.entityId, snapshot.data, snapshot.version, report);
    if (changed) report.pulled += 1;
    return changed;
  }

  /** Runs under the lock: the peer's document (version `version`) into this device's. */
  private async merge(type: EntityType, id: string, bytes: Uint8Array, version: number, report: PeerReport): Promise<boolean> {
    const heads = headsOf(bytes);
    let outcome: "added" | "merged" | "unchanged";
    try {
      outcome = await this.p.transfer.takeIn(type, id, bytes);
    } catch (err) {
      // Refused here as an import would be (another type under this id, an invalid document):
      // not taken, and not marked as known, so a fixed version is taken later.
      report.errors += 1;
      this.p.log.event("peer_take_refused", { device_id: this.p.identity.deviceId, entity_id: id, message: err instanceof Error ? err.message : String(err) });
      return false;
    }
    await this.p.state.put(id, { version, heads });
    return outcome !== "unchanged";
  }

  /** Pushes what the peer lacks. True when a conflict merged the peer's document and another round is due. */
  private async push(session: RelaySession, report: PeerReport): Promise<boolean> {
    const due = await this.p.lock.run(() => this.prepare());
    let again = false;
    for (let start = 0; start < due.length; start += BATCH_ITEMS) {
      const batch = due.slice(start, start + BATCH_ITEMS);
      const results = await session.sync(batch.map((d) => d.wire));
      const brought = await this.p.lock.run(async () => {
        let changed = false;
        for (const [i, result] of results.entries()) {
          const d = batch[i];
          if (!d || d.wire.entityId !== result.entityId) throw new SyncError(Code.INTERNAL, "the peer answered items out of order");
          if (result.status === SyncStatus.SUCCESS) {
            report.pushed += 1;
            await this.p.state.put(d.wire.entityId, { version: result.serverVersion, heads: d.heads });
          } else if (result.status === SyncStatus.CONFLICT) {
            report.merged += 1;
            if (await this.merge(d.type, d.wire.entityId, result.serverData, result.serverVersion, report)) changed = true;
            again = true;
          } else {
            report.errors += 1;
            this.p.log.event("peer_push_refused", { device_id: this.p.identity.deviceId, entity_id: result.entityId, code: result.code, message: result.errorMessage });
          }
        }
        return changed;
      });
      if (brought) this.p.onNewWork();
    }
    return again;
  }

  /** Runs under the lock: each entity of the person's whose document moved past what the peer has. */
  private async prepare(): Promise<{ type: EntityType; heads: string[]; wire: SyncItemInit }[]> {
    const due: { type: EntityType; heads: string[]; wire: SyncItemInit }[] = [];
    for (const record of this.p.entities.allRecords()) {
      if (!CONFLICT_STRATEGIES[record.type].deviceWritable) continue;
      const known = this.p.state.get(record.id);
      const { heads, changes } = await this.p.entities.changesSince(record.id, known?.heads ?? []);
      if (changes.length === 0) continue;
      due.push({
        type: record.type,
        heads,
        wire: {
          entityType: record.type,
          entityId: record.id,
          operation: known ? (record.summary.deleted ? Operation.DELETE : Operation.UPDATE) : Operation.CREATE,
          data: changes,
          version: known?.version ?? 0,
          timestamp: BigInt(this.p.timers.now()),
        },
      });
    }
    return due;
  }
}

function headsOf(bytes: Uint8Array): string[] {
  const doc = A.load(bytes);
  try {
    return A.getHeads(doc);
  } finally {
    A.free(doc);
  }
}
