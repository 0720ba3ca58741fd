// The one SQL core behind RelayStore. pg and PGlite are thin shims over the SqlClient seam below;
// every difference in result shapes and every error mapping lives in this file, once.
// Specification: docs/relay.md
import { isEntityType } from "../../schema/entities.js";
import { Code, SyncError } from "../../schema/status.js";
import type { ChangesPage, EntityWrite, RelayStore, StoredEntity, VersionsPage, WriteOutcome } from "./store.js";

export type SqlRow = Readonly<Record<string, unknown>>;

export interface SqlResult {
  rows: SqlRow[];
  /** Rows returned, or changed by a statement without RETURNING. */
  rowCount: number;
}

export interface SqlExecutor {
  /** One statement with $n parameters. */
  query(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
  /** A script of several statements, no parameters (migrations). */
  exec(script: string): Promise<void>;
}

/**
 * What a driver shim provides. Errors are thrown as the driver made them, except that a shim
 * gives a connection failure it reports without a SQLSTATE a `code` of class 08, so that
 * toSyncError can map every error by its code alone.
 */
export interface SqlClient extends SqlExecutor {
  /** Runs fn inside BEGIN ... COMMIT (READ COMMITTED); ROLLBACK when fn or COMMIT throws. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How long a device waits before retrying after an UNAVAILABLE from the store. */
export const RETRY_AFTER_MS = 1000;

// Node's socket errors, and the SQLSTATEs that mean "try again": the server is going away or
// refused us, or the transaction lost a serialization race / deadlock and can simply rerun.
const UNAVAILABLE_NODE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
const UNAVAILABLE_SQLSTATES = new Set(["40001", "40P01", "57P01", "57P02", "57P03", "53300"]);

export function isUnavailableCode(code: string): boolean {
  return code.startsWith("08") || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_NODE_CODES.has(code);
}

/** The one mapping from database and driver errors to the protocol's errors. */
export function toSyncError(err: unknown): SyncError {
  if (err instanceof SyncError) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined && isUnavailableCode(code)) {
    return new SyncError(Code.UNAVAILABLE, `store unavailable (${code}): ${message}`, RETRY_AFTER_MS);
  }
  return new SyncError(Code.INTERNAL, `store error${code === undefined ? "" : ` (${code})`}: ${message}`);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== "object" || err === null || !("code" in err)) return undefined;
  return typeof err.code === "string" ? err.code : undefined;
}

// A batch travels as two parameters unpacked by Postgres: the writes' fields as JSON, and their
// documents as one binary parameter (each write names its slice), so no document is turned into
// base64 text and parsed back. One statement stores any number of writes, on both backends, with
// no driver array encoding.
const BATCH_ROWS = `
  SELECT (r->>'i')::int4 AS i, r->>'id' AS entity_id, r->>'type' AS entity_type,
         (r->>'base')::int4 AS base_version,
         substring($5::bytea FROM (r->>'at')::int4 + 1 FOR (r->>'len')::int4) AS doc,
         (r->>'append')::bool AS append, r->'data' AS data,
         (r->>'deleted')::bool AS deleted, r->>'device' AS device_id
  FROM jsonb_array_elements($2::text::jsonb) AS r`;

// $1 user, $2 the round's writes, $3 the first reserved cursor minus one, $4 relay time in ms,
// $5 the round's documents end to end.
// Creates and updates of one round touch distinct entities, so the two CTEs cannot see or step
// on each other's rows, and the entity id alone maps each returned row back to its write.
// An update leaves entity_type as the create set it: a type is part of an entity's identity,
// and the relay checks a write's type against the stored row before it gets here.
const WRITE_ROUND = `
  WITH w AS (${BATCH_ROWS}),
  created AS (
    INSERT INTO entities AS e (user_id, entity_id, entity_type, version, cursor, doc, data, deleted, device_id, updated_at)
    SELECT $1, w.entity_id, w.entity_type, 1, $3::int8 + w.i + 1, w.doc, w.data, w.deleted, w.device_id,
           timestamptz 'epoch' + $4::int8 * interval '1 millisecond'
    FROM w WHERE w.base_version = 0
    ON CONFLICT (user_id, entity_id) DO NOTHING
    RETURNING e.entity_id, e.version
  ),
  updated AS (
    UPDATE entities AS e
    SET version = e.version + 1, cursor = $3::int8 + w.i + 1,
        doc = CASE WHEN w.append THEN e.doc || w.doc ELSE w.doc END, data = w.data,
        deleted = w.deleted, device_id = w.device_id,
        updated_at = timestamptz 'epoch' + $4::int8 * interval '1 millisecond'
    FROM w
    WHERE w.base_version > 0 AND e.user_id = $1 AND e.entity_id = w.entity_id AND e.version = w.base_version
    RETURNING e.entity_id, e.version
  )
  SELECT entity_id, version FROM created
  UNION ALL
  SELECT entity_id, version FROM updated`;

// Taking this row lock first orders the user's write transactions: the next writer gets a
// higher cursor and commits after us, so a reader never sees a higher cursor before a lower one.
// The time is read after the lock is granted, so updatedAt follows the commit order.
const RESERVE_CURSORS = `
  INSERT INTO user_cursors AS c (user_id, cursor) VALUES ($1, $2::int8)
  ON CONFLICT (user_id) DO UPDATE SET cursor = c.cursor + EXCLUDED.cursor
  RETURNING c.cursor::text AS last, floor(extract(epoch FROM clock_timestamp()) * 1000)::int8::text AS now_ms`;

const ENTITY_COLUMNS = `user_id, entity_id, entity_type, version, cursor::text AS cursor, doc, data, deleted,
  device_id, (extract(epoch FROM updated_at) * 1000)::int8::text AS updated_ms`;

/** The entities half of the store; the shims add the accounts half (sql-account-store.ts) and the migrations check (migrate.ts). */
export function createSqlStore(client: SqlClient): Omit<RelayStore, "accounts" | "pendingMigrations"> {
  return {
    async writeBatch(userId, writes) {
      if (writes.length === 0) return [];
      try {
        return await client.transaction((tx) => writeInTransaction(tx, userId, writes));
      } catch (err) {
        throw toSyncError(err);
      }
    },

    async get(userId, entityId) {
      try {
        const result = await client.query(
          `SELECT ${ENTITY_COLUMNS} FROM entities WHERE user_id = $1 AND entity_id = $2`,
          [userId, entityId],
        );
        const row = result.rows[0];
        return row === undefined ? null : decodeEntity(row);
      } catch (err) {
        throw toSyncError(err);
      }
    },

    async getMany(userId, entityIds) {
      if (entityIds.length === 0) return [];
      try {
        // The ids travel as one JSON parameter, as a batch does: no driver array encoding.
        const result = await client.query(
          `SELECT ${ENTITY_COLUMNS} FROM entities
           WHERE user_id = $1 AND entity_id IN (SELECT jsonb_array_elements_text($2::text::jsonb))`,
          [userId, JSON.stringify(entityIds)],
        );
        return result.rows.map(decodeEntity);
      } catch (err) {
        throw toSyncError(err);
      }
    },

    async changesSince(userId, after, limit): Promise<ChangesPage> {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new SyncError(Code.INTERNAL, `changesSince limit must be a positive integer, got ${limit}`);
      }
      try {
        // One row past the limit answers hasMore without a second query.
        const result = await client.query(
          // e.cursor, not cursor: that name is the text output column and would sort "10" < "9".
          `SELECT ${ENTITY_COLUMNS} FROM entities AS e WHERE e.user_id = $1 AND e.cursor > $2::int8
           ORDER BY e.cursor LIMIT $3`,
          [userId, after.toString(), limit + 1],
        );
        const entities = result.rows.slice(0, limit).map(decodeEntity);
        const last = entities[entities.length - 1];
        return { entities, cursor: last === undefined ? after : last.cursor, hasMore: result.rows.length > limit };
      } catch (err) {
        throw toSyncError(err);
      }
    },

    async versionsSince(userId, after, limit): Promise<VersionsPage> {
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw new SyncError(Code.INTERNAL, `versionsSince limit must be a positive integer, got ${limit}`);
      }
      try {
        const result = await client.query(
          `SELECT e.entity_id, e.version, e.cursor::text AS cursor FROM entities AS e
           WHERE e.user_id = $1 AND e.cursor > $2::int8 ORDER BY e.cursor LIMIT $3`,
          [userId, after.toString(), limit + 1],
        );
        const entries = result.rows.slice(0, limit).map((row) => ({
          entityId: toText(row["entity_id"], "entity_id"),
          version: toNumber(row["version"], "version"),
          cursor: toBigInt(row["cursor"], "cursor"),
        }));
        const last = entries[entries.length - 1];
        return { entries, cursor: last === undefined ? after : last.cursor, hasMore: result.rows.length > limit };
      } catch (err) {
        throw toSyncError(err);
      }
    },

    async latestCursors(userIds) {
      const cursors = new Map<string, bigint>(userIds.map((id) => [id, 0n]));
      if (userIds.length === 0) return cursors;
      try {
        // The ids travel as one JSON parameter, as a batch does: no driver array encoding.
        const result = await client.query(
          `SELECT user_id, cursor::text AS cursor FROM user_cursors
           WHERE user_id IN (SELECT jsonb_array_elements_text($1::text::jsonb))`,
          [JSON.stringify(userIds)],
        );
        for (const row of result.rows) cursors.set(toText(row["user_id"], "user_id"), toBigInt(row["cursor"], "cursor"));
        return cursors;
      } catch (err) {
        throw toSyncError(err);
      }
    },

    async close() {
      try {
        await client.close();
      } catch (err) {
        throw toSyncError(err);
      }
    },
  };
}

async function writeInTransaction(tx: SqlExecutor, userId: string, writes: readonly EntityWrite[]): Promise<WriteOutcome[]> {
  // Cursors are reserved for every write, stored or not: a conflict leaves a gap, which pulls
  // do not mind, and the reservation needs no second round trip once outcomes are known.
  const reserved = await tx.query(RESERVE_CURSORS, [userId, String(writes.length)]);
  const reservedRow = reserved.rows[0];
  if (reservedRow === undefined) throw new SyncError(Code.INTERNAL, "cursor reservation returned no row");
  const base = toBigInt(reservedRow["last"], "last") - BigInt(writes.length);
  const nowMs = toBigInt(reservedRow["now_ms"], "now_ms");

  const outcomes: WriteOutcome[] = writes.map(() => ({ kind: "conflict" }));
  for (const round of rounds(writes)) {
    const docs = Buffer.allocUnsafe(round.reduce((n, i) => n + (writes[i] as EntityWrite).doc.length, 0));
    let at = 0;
    const payload = JSON.stringify(
      round.map((i) => {
        const w = writes[i] as EntityWrite;
        docs.set(w.doc, at);
        const slice = { at, len: w.doc.length };
        at += w.doc.length;
        return {
          i,
          id: w.entityId,
          type: w.entityType,
          base: w.baseVersion,
          ...slice,
          append: w.append === true && w.baseVersion > 0,
          data: w.data,
          deleted: w.deleted,
          device: w.deviceId,
        };
      }),
    );
    const result = await tx.query(WRITE_ROUND, [userId, payload, base.toString(), nowMs.toString(), docs]);
    const stored = new Map(result.rows.map((row) => [toText(row["entity_id"], "entity_id"), toNumber(row["version"], "version")]));
    for (const i of round) {
      const version = stored.get((writes[i] as EntityWrite).entityId);
      if (version !== undefined) {
        outcomes[i] = { kind: "stored", version, cursor: base + BigInt(i) + 1n, updatedAt: Number(nowMs) };
      }
    }
  }
  return outcomes;
}

/**
 * Splits a batch into rounds in which each entity appears at most once, keeping order: the
 * k-th write to an entity goes in round k. One set-based statement cannot see its own effects,
 * so a create followed by an update of the same entity must run as two statements.
 */
function rounds(writes: readonly EntityWrite[]): number[][] {
  const seen = new Map<string, number>();
  const result: number[][] = [];
  writes.forEach((write, i) => {
    const k = seen.get(write.entityId) ?? 0;
    seen.set(write.entityId, k + 1);
    (result[k] ??= []).push(i);
  });
  return result;
}

function decodeEntity(row: SqlRow): StoredEntity {
  const entityType = toText(row["entity_type"], "entity_type");
  if (!isEntityType(entityType)) throw new SyncError(Code.INTERNAL, `stored entity has unknown type ${entityType}`);
  return {
    userId: toText(row["user_id"], "user_id"),
    entityId: toText(row["entity_id"], "entity_id"),
    entityType,
    version: toNumber(row["version"], "version"),
    cursor: toBigInt(row["cursor"], "cursor"),
    doc: toBytes(row["doc"], "doc"),
    data: row["data"],
    deleted: toBoolean(row["deleted"], "deleted"),
    deviceId: toText(row["device_id"], "device_id"),
    updatedAt: Number(toBigInt(row["updated_ms"], "updated_ms")),
  };
}

// Drivers disagree on int8 (pg: string, PGlite: number or bigint) and bytea (Buffer vs
// Uint8Array); these decoders accept each shape and refuse anything that would lose precision.
export function toBigInt(value: unknown, column: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw shapeError(column, value);
}

export function toNumber(value: unknown, column: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" || typeof value === "bigint") {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  throw shapeError(column, value);
}

export function toText(value: unknown, column: string): string {
  if (typeof value === "string") return value;
  throw shapeError(column, value);
}

export function toBoolean(value: unknown, column: string): boolean {
  if (typeof value === "boolean") return value;
  throw shapeError(column, value);
}

function toBytes(value: unknown, column: string): Uint8Array {
  // A copy, never a view: pg's Buffers may share a pooled ArrayBuffer with unrelated data.
  if (value instanceof Uint8Array) return new Uint8Array(value);
  throw shapeError(column, value);
}

function shapeError(column: string, value: unknown): SyncError {
  return new SyncError(Code.INTERNAL, `unexpected ${typeof value} in column ${column}`);
}
