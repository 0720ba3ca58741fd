// Pushing queued changes: batches bounded by items and bytes, each item carrying only the changes
// since the heads it last synced, and each result applied to the item (stored, a conflict to
// settle, or a failure that becomes the item's state).
// Specification: docs/sync-engine.md
import { Code, SyncError } from "../../../schema/status.js";
import { SyncStatus, type SyncResult } from "../../../schema/protocol/frames.js";
import type { EntityStore } from "../entities/entity-store.js";
import { fromBase64 } from "../queue/base64.js";
import type { SyncQueueItem } from "../queue/queue-item.js";
import type { SyncQueue } from "../queue/sync-queue.js";
import type { RelaySession, SyncItemInit } from "../transport/relay-session.js";
import type { Mutex } from "../storage/write-lock.js";
import type { RemoteChanges } from "./remote-changes.js";
import { isLongCatchUp, wireOperation, type BatchLimits, type Candidate } from "./sync-policy.js";
import type { SyncLogger, SyncProgress, SyncReport, SyncTotals } from "./sync-types.js";

export interface PusherOptions {
  entities: EntityStore;
  queue: SyncQueue;
  remote: RemoteChanges;
  lock: Mutex;
  log: SyncLogger;
  deviceId: string;
  totals: SyncTotals;
  now(): number;
  random(): number;
  /** Something the app shows (progress, an item's state) changed. */
  notify(): void;
  /** The session expired: a new one, authenticated again (the batch is sent once more on it). */
  reconnect(): Promise<RelaySession>;
}

interface Prepared extends Candidate {
  heads: string[];
  wire: SyncItemInit;
}

export class Pusher {
  private readonly inFlight = new Set<string>();
  /** The session this push renewed, and the renewed one. */
  private renewal: { from: RelaySession; to: Promise<RelaySession> } | undefined;
  progress: SyncProgress | undefined;

  constructor(private readonly o: PusherOptions) {}

  isInFlight(entityId: string): boolean {
    return this.inFlight.has(entityId);
  }

  async push(session: RelaySession, candidates: Candidate[], limits: BatchLimits, report: SyncReport): Promise<void> {
    const progress: SyncProgress = { done: 0, total: candidates.length };
    this.progress = progress;
    const longCatchUp = isLongCatchUp(candidates.length, limits);
    // Two batches in flight: the relay works on one while this device stores the answers to the
    // other and prepares the next (one at a time, the relay sat idle for a quarter of a long
    // catch-up). A failed batch stops the sending; the push waits for the other one, then throws.
    let earlier: Promise<void> = Promise.resolve();
    const stopped = { failed: false };
    try {
      let rest = candidates;
      while (rest.length > 0) {
        const batch = await this.prepareBatch(rest, limits);
        rest = rest.slice(batch.taken);
        progress.done += batch.taken - batch.prepared.length;
        // Nothing more is sent once a batch failed (found out while this one was prepared).
        if (stopped.failed) break;
        const sent = this.pushBatch(session, batch.prepared, report, progress, longCatchUp);
        sent.catch(() => {
          stopped.failed = true;
        });
        const previous = earlier;
        earlier = sent;
        await previous;
      }
      await earlier;
    } catch (err) {
      // Whatever failed, the batch still on its way is waited for: its answers are applied (or
      // its failure recorded) before the push ends.
      await earlier.catch(() => undefined);
      throw err;
    } finally {
      this.progress = undefined;
      this.renewal = undefined;
    }
  }

  /** Sends one batch and applies its results. */
  private async pushBatch(session: RelaySession, prepared: Prepared[], report: SyncReport, progress: SyncProgress, longCatchUp: boolean): Promise<void> {
    if (prepared.length > 0) await this.sendBatch(session, prepared, report);
    // A long catch-up touches every queued document once: let go of the ones now synced (a
    // short push keeps them, for the next edit). Letting go never writes.
    if (longCatchUp) {
      for (const p of prepared) if (this.o.queue.get(p.item.entityId)?.status === "synced") this.o.entities.release(p.item.entityId);
    }
    progress.done += prepared.length;
    this.o.notify();
  }

  private async sendBatch(session: RelaySession, prepared: Prepared[], report: SyncReport): Promise<void> {
    for (const p of prepared) this.inFlight.add(p.item.entityId);
    this.o.notify();
    try {
      const results = await this.send(session, prepared);
      for (const [i, result] of results.entries()) {
        const p = prepared[i];
        if (!p || p.item.entityId !== result.entityId) throw new SyncError(Code.INTERNAL, "relay answered items out of order");
        await this.o.lock.run(() => this.applyResult(p, result, report));
      }
    } finally {
      for (const p of prepared) this.inFlight.delete(p.item.entityId);
    }
  }

  /**
   * Sends one batch. An expired session is authenticated again and the batch sent once more; so
   * is a batch whose connection that renewal closed (the other batch in flight renewed it).
   */
  private async send(session: RelaySession, prepared: Prepared[]): Promise<SyncResult[]> {
    this.o.log.event("sync_attempt", { device_id: this.o.deviceId, items_count: prepared.length });
    const items = prepared.map((p) => p.wire);
    try {
      return await session.sync(items);
    } catch (err) {
      let error = asSyncError(err);
      if (error.code === Code.UNAUTHENTICATED || this.renewal?.from === session) {
        try {
          return await (await this.renewed(session)).sync(items);
        } catch (retryErr) {
          error = asSyncError(retryErr);
        }
        // Still refused: signed out. The items stay queued as they were, not failed, not synced.
        if (error.code === Code.UNAUTHENTICATED) throw error;
      }
      await this.o.lock.run(async () => {
        for (const p of prepared) await this.o.queue.recordFailure(p.item.entityId, error, p.counts, this.o.now(), () => this.o.random());
      });
      throw error;
    }
  }

  /** One renewal of an expired session, shared by the batches in flight on it. */
  private renewed(session: RelaySession): Promise<RelaySession> {
    if (this.renewal?.from !== session) this.renewal = { from: session, to: this.o.reconnect() };
    return this.renewal.to;
  }

  private async prepareBatch(candidates: Candidate[], limits: BatchLimits): Promise<{ prepared: Prepared[]; taken: number }> {
    const prepared: Prepared[] = [];
    let bytes = 0;
    let taken = 0;
    for (const { item, counts } of candidates) {
      if (prepared.length >= limits.items) break;
      const record = this.o.entities.record(item.entityId);
      const current = this.o.queue.get(item.entityId);
      if (!record || current?.status !== "pending") {
        taken += 1; // settled since it was selected (a pull, a live change)
        continue;
      }
      const { heads, changes } = await this.unsyncedChanges(current, record.syncedHeads);
      if (prepared.length > 0 && bytes + changes.length > limits.bytes) break;
      taken += 1;
      if (changes.length === 0) {
        await this.o.lock.run(() => this.o.queue.markSynced(item.entityId, false));
        continue;
      }
      bytes += changes.length;
      prepared.push({
        item: current,
        counts,
        heads,
        wire: {
          entityType: item.entityType,
          entityId: item.entityId,
          operation: wireOperation(record.serverVersion, current.operation),
          data: changes,
          version: record.serverVersion,
          timestamp: BigInt(current.timestamp),
        },
      });
    }
    return { prepared, taken };
  }

  /**
   * The changes to push: the ones kept beside the item when it was changed (no document is
   * loaded), or, when those are not since the synced heads (a settlement, a merge, an item from
   * before they were kept), computed from the document.
   */
  private async unsyncedChanges(item: SyncQueueItem, syncedHeads: string[]): Promise<{ heads: string[]; changes: Uint8Array }> {
    const kept = item.unsynced;
    if (kept && sameHeads(kept.base, syncedHeads)) return { heads: kept.heads, changes: fromBase64(kept.changes) };
    return this.o.entities.changesSince(item.entityId, syncedHeads);
  }

  /** Whether the entity changed since it was prepared (a change made while the batch was on its way). */
  private async changedSince(prepared: Prepared): Promise<boolean> {
    // Whatever changes a queued entity's document (a local change, a merge, a settlement) also
    // replaces its queue item: the same item means the same document, and nothing is loaded.
    if (this.o.queue.get(prepared.item.entityId) === prepared.item) return false;
    return !sameHeads(await this.o.entities.heads(prepared.item.entityId), prepared.heads);
  }

  /** Runs under the lock. */
  private async applyResult(prepared: Prepared, result: SyncResult, report: SyncReport): Promise<void> {
    const id = prepared.item.entityId;
    const record = this.o.entities.requireRecord(id);
    switch (result.status) {
      case SyncStatus.SUCCESS: {
        report.pushed += 1;
        this.o.totals.pushed += 1;
        await this.o.entities.putRecord({ ...record, serverVersion: result.serverVersion, syncedHeads: prepared.heads, serverTime: Number(result.serverTime) });
        // A change made while this batch was on its way is still to push.
        const changedMeanwhile = await this.changedSince(prepared);
        await this.o.queue.markSynced(id, changedMeanwhile, result.serverVersion);
        return;
      }
      case SyncStatus.CONFLICT: {
        const askPerson = await this.o.remote.applyServerVersion(id, result.serverData, result.serverVersion, Number(result.serverTime));
        this.o.log.event("sync_conflict", {
          device_id: this.o.deviceId,
          entity_type: prepared.item.entityType,
          entity_id: id,
          client_version: record.serverVersion,
          server_version: result.serverVersion,
          resolution: askPerson ? "user_prompt" : "automatic",
        });
        if (askPerson) {
          report.conflicts += 1;
          this.o.totals.conflicts += 1;
        }
        return;
      }
      default:
        report.errors += 1;
        await this.o.queue.recordFailure(id, new SyncError(result.code, result.errorMessage), prepared.counts, this.o.now(), () => this.o.random());
        return;
    }
  }
}

export function asSyncError(err: unknown, fallback: Code = Code.INTERNAL): SyncError {
  return err instanceof SyncError ? err : new SyncError(fallback, err instanceof Error ? err.message : String(err));
}

function sameHeads(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}
