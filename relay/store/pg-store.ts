// The relay store on a Postgres server, through a pg Pool. A thin shim: the SQL and the error
// mapping live in sql-store.ts.
// Specification: docs/relay.md
import { Pool } from "pg";
import type { PoolClient } from "pg";
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
   * Told when an idle connection dies, e.g. when Postgres restarts. The pool has already dropped
   * it and connects again on demand; without a listener pg would throw it and end the process.
   */
  onIdleError?: (err: Error) => void;
}

export async function openPgStore(connectionString: string, opts: PgStoreOptions = {}): Promise<RelayStore> {
  if (opts.searchPath !== undefined && !/^[a-z_][a-z0-9_]*$/.test(opts.searchPath)) {
    throw new Error(`searchPath must be a plain lower-case schema name, got ${JSON.stringify(opts.searchPath)}`);
  }
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
  const client = new PgSqlClient(pool);
  try {
    await migrate(client);
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

class PgSqlClient implements SqlClient {
  #ending: Promise<void> | undefined;

  constructor(private readonly pool: Pool) {}

  query(sql: string, params?: readonly unknown[]) {
    return this.withClient((client) => run(client, sql, params));
  }

  exec(script: string) {
    return this.withClient(async (client) => {
      await client.query(script);
    });
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.withClient(async (client, discard) => {
      // Explicit, so a server default of REPEATABLE READ or SERIALIZABLE cannot change the
      // cursor ordering argument (each statement must see what the previous lock holder committed).
      await client.query("BEGIN ISOLATION LEVEL READ COMMITTED");
      try {
        const result = await fn({
          query: (sql, params) => run(client, sql, params),
          exec: async (script) => {
            await client.query(script);
          },
        });
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {
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

  private async withClient<T>(fn: (client: PoolClient, discard: () => void) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw withConnectionCode(err, this.#ending === undefined ? "08001" : "08003");
    }
    // A checked-out client has no pool listener: an 'error' event here (the server went away
    // mid-query) would otherwise be thrown by the EventEmitter and end the process.
    // An object, not a `let`: the flag is set from a listener, which control-flow analysis
    // cannot see, so a plain `false` would read as always false.
    const connection = { broken: false };
    const onError = (): void => {
      connection.broken = true;
    };
    client.on("error", onError);
    try {
      return await fn(client, onError);
    } catch (err) {
      throw connection.broken ? withConnectionCode(err, "08006") : err;
    } finally {
      client.off("error", onError);
      client.release(connection.broken);
    }
  }
}

async function run(client: PoolClient, sql: string, params?: readonly unknown[]) {
  const result = await client.query(sql, params === undefined ? undefined : [...params]);
  return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
}
