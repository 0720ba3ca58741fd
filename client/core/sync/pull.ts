// Pulling what other devices pushed: pages by the user's cursor (and the exercise library's), and
// the relay's live fan-out between pulls.
// Specification: docs/sync-engine.md
import type { EntitySnapshot } from "../../../schema/protocol/frames.js";
import type { DeviceHealthInit, RelaySession } from "../transport/relay-session.js";
import type { Mutex } from "../storage/write-lock.js";
import type { RemoteChanges } from "./remote-changes.js";
import type { SyncReport } from "./sync-types.js";

export interface PullCursors {
  /** This user's changes pulled up to here. */
  user: bigint;
  /** The exercise library pulled up to here. */
  catalog: bigint;
}

export interface PullerOptions {
  remote: RemoteChanges;
  lock: Mutex;
  loadCursors(): PullCursors;
  saveCursors(cursors: PullCursors): Promise<void>;
  /** The device's sync figures for a connection of `protocolVersion`, reported with the first page of each pull. */
  health(protocolVersion: number): DeviceHealthInit | undefined;
  /** The relay answered the page that carried `health`. */
  healthReported(health: DeviceHealthInit): void;
}

export class Puller {
  constructor(private readonly o: PullerOptions) {}

  /** Pulls every page after the saved cursors; the cursors are saved after each page is applied. */
  async pull(session: RelaySession, report: SyncReport): Promise<void> {
    let cursors = this.o.loadCursors();
    let health = this.o.health(session.version);
    for (;;) {
      const page = await session.pull(cursors.user, cursors.catalog, 0, health);
      if (health) this.o.healthReported(health);
      health = undefined;
      for (const snapshot of page.entities) {
        if ((await this.o.lock.run(() => this.o.remote.applySnapshot(snapshot))) === "applied") report.pulled += 1;
      }
      const next = { user: maxBigint(cursors.user, page.cursor), catalog: maxBigint(cursors.catalog, page.catalogCursor) };
      if (next.user !== cursors.user || next.catalog !== cursors.catalog) {
        cursors = next;
        await this.o.saveCursors(cursors);
      }
      if (!page.hasMore) return;
    }
  }

  /**
   * The relay's fan-out. The cursor is not advanced here (the next pull confirms it). Resolves
   * true when some change could not be applied here and the whole documents must be pulled.
   */
  async applyLive(entities: EntitySnapshot[]): Promise<boolean> {
    let needsPull = false;
    for (const snapshot of entities) {
      if ((await this.o.lock.run(() => this.o.remote.applySnapshot(snapshot))) === "needs_snapshot") needsPull = true;
    }
    return needsPull;
  }
}

function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
