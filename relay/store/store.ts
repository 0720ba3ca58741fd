// The relay's store seam. One SQL core (sql-store.ts) runs over either the machine's Postgres
// (pg) or PGlite; both pass test/relay/store.conformance.pg.test.ts.
// Specification: docs/relay.md
import type { EntityType } from "../../schema/entities.js";
import type { AccountStore } from "./account-store.js";
import { Code, SyncError } from "../../schema/status.js";

export interface StoredEntity {
  userId: string;
  entityId: string;
  entityType: EntityType;
  /** Optimistic-lock version: 1 after the create, +1 per accepted push. */
  version: number;
  /** The user's change counter when this version was stored. */
  cursor: bigint;
  /**
   * The whole Automerge document as whole chunks: an A.save, or a device's pushed history,
   * possibly followed by the changes of later pushes (A.load takes the concatenation).
   */
  doc: Uint8Array;
  /** The materialised JSON of the document. */
  data: unknown;
  deleted: boolean;
  /** The device whose push made this version. */
  deviceId: string;
  /** Relay time this version was stored, ms since epoch. */
  updatedAt: number;
}

export interface EntityWrite {
  entityId: string;
  entityType: EntityType;
  /** The version the device built on: 0 for a create, else the version it last saw. */
  baseVersion: number;
  /** The whole document; with `append`, the changes to add after the stored bytes instead. */
  doc: Uint8Array;
  /**
   * An update whose `doc` holds only the pushed changes: the store keeps the row's bytes and
   * appends these, under the same optimistic lock (so they follow exactly the version the relay
   * validated them on). Ignored for a create.
   */
  append?: boolean;
  data: unknown;
  deleted: boolean;
  deviceId: string;
}

export type WriteOutcome =
  | { kind: "stored"; version: number; cursor: bigint; updatedAt: number }
  /** Someone stored another version first (or the entity exists on a create). Nothing written. */
  | { kind: "conflict" };

export interface VersionsPage {
  entries: { entityId: string; version: number; cursor: bigint }[];
  /** Pass back as `after` for the next page. */
  cursor: bigint;
  hasMore: boolean;
}

export interface ChangesPage {
  entities: StoredEntity[];
  /** Pass back as `after` for the next page. */
  cursor: bigint;
  hasMore: boolean;
}

/**
 * Contract:
 * - writeBatch stores all non-conflicting writes of one user in ONE transaction with optimistic
 *   locking (`UPDATE ... WHERE version = baseVersion`; a create inserts only when absent), and
 *   returns one outcome per write in order. Stored writes get strictly increasing cursors for
 *   that user; a concurrent writer for the same user never commits a lower cursor after a
 *   higher one is visible, so changesSince never skips a change.
 * - get returns the current row or null; getMany the current rows of the given entities that
 *   exist, in no particular order (one round trip for a batch's documents).
 * - changesSince returns rows with cursor > after, ordered by cursor, at most `limit`.
 * - versionsSince is changesSince without the documents: (entity, version, cursor) of the rows
 *   with cursor > after, ordered by cursor, at most `limit`.
 * - latestCursors returns each given user's last reserved cursor (0 for a user who never
 *   wrote): a relay compares it with what it has fanned out to find changes it missed.
 * - Errors are SyncError: UNAVAILABLE (with retryAfterMs) when the database cannot be reached
 *   or the transaction must be retried (serialization failure, deadlock, shutdown), INTERNAL
 *   otherwise. A failed writeBatch stored nothing.
 */
export interface RelayStore {
  /** People, devices and tokens (account-store.ts), on the same database. */
  readonly accounts: AccountStore;
  writeBatch(userId: string, writes: readonly EntityWrite[]): Promise<WriteOutcome[]>;
  get(userId: string, entityId: string): Promise<StoredEntity | null>;
  getMany(userId: string, entityIds: readonly string[]): Promise<StoredEntity[]>;
  changesSince(userId: string, after: bigint, limit: number): Promise<ChangesPage>;
  /**
   * The schema migrations this code has that the database has not applied: empty once the store
   * is open. A round trip to the database, so it also says whether the database is reachable
   * (UNAVAILABLE when not): the relay's readiness check (GET /readyz).
   */
  pendingMigrations(): Promise<string[]>;
  versionsSince(userId: string, after: bigint, limit: number): Promise<VersionsPage>;
  latestCursors(userIds: readonly string[]): Promise<Map<string, bigint>>;
  close(): Promise<void>;
}

/**
 * Pairs each write with its outcome. A store that broke "one outcome per write, in order" is an
 * INTERNAL error here, never a write silently left without an answer.
 */
export function pairOutcomes<W>(writes: readonly W[], outcomes: readonly WriteOutcome[]): [W, WriteOutcome][] {
  const mismatch = () => new SyncError(Code.INTERNAL, `the store answered ${outcomes.length} outcomes for ${writes.length} writes`);
  if (outcomes.length !== writes.length) throw mismatch();
  return writes.map((write, i) => {
    const outcome = outcomes[i];
    if (outcome === undefined) throw mismatch();
    return [write, outcome];
  });
}
