// The relay store on a Postgres server, through a pg Pool. A thin shim: the SQL and the error
// mapping live in sql-store.ts.
// Specification: docs/relay.md
// pg is imported when a Postgres URL asks for it: `npm start` on PGlite does not pay its loading.
import type { Pool, PoolClient, QueryConfig } from "pg";
import { migrate, pendingMigrations } from "./migrate.js";
import { createSqlAccountStore } from "./sql-account-store.js";
import { createSqlStore, toSyncError } from "./sql-store.js";
import type { SqlClient, SqlExecutor } from "./sql-store.js";
import type { RelayStore } from "./store.js";

export interface PgStoreOptions {
  /** Pool size. Default 16. */
  max?: number;
  /** The schema unqualified names resolve to, set on every connection (tests use one per case). */
  searchPath?: string;
  /** Shown in pg_stat_activity. Default "ironflow-relay". */
  applicationName?: string;
  /** How long to wait for a connection before answering UNAVAILABLE. Default 5000 ms. */
  connectionTimeoutMillis?: number;
  /**
   * How long one statement may wait for Postgres's answer. Past it the store answers UNAVAILABLE
   * and the connection is destroyed (its state is unknown). Without a bound, a connection that
   * went silent (the server or the path to it gone without a reset reaching us) hangs its caller
   * until TCP gives up, minutes later; and a user's writes are serialised, so every later push of
   * that person would wait behind it. Default 10000 ms.
   */
  queryTimeoutMillis?: number;
  /**
   * Told when an idle connection dies, e.g. when Postgres restarts. The pool has already dropped
   * it and connects again on demand; without a listener pg would throw it and end the process.
   */
  onIdleError?: (err: Error) => void;
}

export async function openPgStore(connectionString: string, opts: PgStoreOptions = {}): Promise<RelayStore> {
  if (opts.searchPath !== undefined && !/^[a-z_][a-z0-9_]*$/.test(opts.searchPath)) {
    throw new Error(`searchPath must be a plain lower-case schema name, got ${JSON.stringify(opts.searchPath)}`);
  }
  const { Pool } = await import("pg");
  const pool = new Pool({
    connectionString,
    max: opts.max ?? 16,
    application_name: opts.applicationName ?? "ironflow-relay",
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 5000,
    keepAlive: true,
    ...(opts.searchPath === undefined ? {} : { options: `-c search_path=${opts.searchPath}` }),
  });
  const onIdleError = opts.onIdleError;
  pool.on("error", (err) => onIdleError?.(err));
  // Every connection listens for errors from the moment the pool has it to its end, checked out
  // or not: an 'error' event with no listener ends the process (a listener added at checkout came
  // an await too late for a shutdown notice read with a new connection's "ready" message, on a
  // Postgres fast restart). withClient answers a statement on a failed connection UNAVAILABLE and
  // drops the connection.
  pool.on("connect", (connection) => connection.on("error", () => failedConnections.add(connection)));
  const client = new PgSqlClient(pool, opts.queryTimeoutMillis ?? 10_000);
  try {
    // Without the bound: a migration may rightly run long on a big table, or wait for another
    // relay's migration to finish (the advisory lock), and the relay is not serving yet.
    await migrate(new PgSqlClient(pool, undefined));
  } catch (err) {
    await client.close();
    throw toSyncError(err);
  }
  return {
    ...createSqlStore(client),
    accounts: createSqlAccountStore(client),
    pendingMigrations: () => pendingMigrations(client).catch((err: unknown) => Promise.reject(toSyncError(err))),
  };
}

/** A driver error that pg reports without a SQLSTATE, given the class-08 code it stands for. */
class ConnectionError extends Error {
  override readonly name = "ConnectionError";
  constructor(
    readonly code: string,
    cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

function withConnectionCode(err: unknown, code: string): unknown {
  const existing = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
  return typeof existing === "string" ? err : new ConnectionError(code, err);
}

/** Connections that reported an error at any time (the pool's "connect" listener), or were discarded. */
const failedConnections = new WeakSet<object>();

class PgSqlClient implements SqlClient {
  #ending: Promise<void> | undefined;

  /** queryTimeoutMs: how long each statement may wait for its answer (none: unbounded). */
  constructor(
    private readonly pool: Pool,
    private readonly queryTimeoutMs: number | undefined,
  ) {}

  query(sql: string, params?: readonly unknown[]) {
    return this.withClient((client) => this.run(client, sql, params));
  }

  exec(script: string) {
    return this.withClient(async (client) => {
      await this.script(client, script);
    });
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.withClient(async (client, discard) => {
      // Explicit, so a server default of REPEATABLE READ or SERIALIZABLE cannot change the
      // cursor ordering argument (each statement must see what the previous lock holder committed).
      await this.run(client, "BEGIN ISOLATION LEVEL READ COMMITTED");
      try {
        const result = await fn({
          query: (sql, params) => this.run(client, sql, params),
          exec: (script) => this.script(client, script),
        });
        await this.run(client, "COMMIT");
        return result;
      } catch (err) {
        // A statement that got no answer is still on its way: a ROLLBACK would only queue
        // behind it and wait out a timeout of its own. The connection goes (Postgres rolls
        // back a transaction whose connection closed).
        if (isQueryTimeout(err)) {
          discard();
          throw err;
        }
        await this.run(client, "ROLLBACK").catch(() => {
          // The connection is in an unknown state; it is destroyed instead of being reused,
          // and the caller gets the error that started this, not the ROLLBACK's.
          discard();
        });
        throw err;
      }
    });
  }

  close(): Promise<void> {
    this.#ending ??= this.pool.end();
    return this.#ending;
  }

  /** One statement, bounded by the query timeout (pg's query_timeout, per statement). */
  private async run(client: PoolClient, sql: string, params?: readonly unknown[]) {
    const result = await client.query(this.timed({ text: sql, values: params === undefined ? undefined : [...params] }));
    return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
  }

  /** A script of several statements (its answer, one result per statement, is not read), bounded likewise. */
  private async script(client: PoolClient, script: string): Promise<void> {
    await client.query(this.timed({ text: script }));
  }

  private timed(config: QueryConfig): TimedQueryConfig {
    return this.queryTimeoutMs === undefined ? config : { ...config, query_timeout: this.queryTimeoutMs };
  }

  private async withClient<T>(fn: (client: PoolClient, discard: () => void) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw withConnectionCode(err, this.#ending === undefined ? "08001" : "08003");
    }
    // A connection that reported an error (the pool's "connect" listener, openPgStore), whenever
    // it did, or that the work discarded, is never reused.
    const discard = (): void => {
      failedConnections.add(client);
    };
    try {
      return await fn(client, discard);
    } catch (err) {
      // A statement unanswered in time: the connection may be dead.
      if (isQueryTimeout(err)) discard();
      throw failedConnections.has(client) ? withConnectionCode(err, "08006") : err;
    } finally {
      client.release(failedConnections.has(client));
    }
  }
}

/** pg reads query_timeout per statement too (client.js), though its types name it only for a client. */
type TimedQueryConfig = QueryConfig & { query_timeout?: number };

/** pg's own error for a statement unanswered within query_timeout (it carries no code). */
function isQueryTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === "Query read timeout";
}
