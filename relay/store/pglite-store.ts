// The relay store on PGlite (Postgres in WASM), the default when no DATABASE_URL is given, so
// `npm start` works on a fresh machine with the same SQL as production.
//
// What the embedded default promises: PGlite runs Postgres with fsync=off. A commit is in the
// operating system's page cache when writeBatch resolves, not on disk. It survives the relay
// process being killed; it may be lost to a power cut or an OS crash. Deployments that must keep
// every acknowledged write through a power cut use Postgres (DATABASE_URL).
//
// PGlite is one connection: statements of concurrent calls queue behind each other, and a write
// transaction holds the database until it commits. Enough for one person's relay, not for scale.
// Specification: docs/relay.md
import { PGlite } from "@electric-sql/pglite";
import type { PGliteOptions, Transaction } from "@electric-sql/pglite";
import { migrate, pendingMigrations } from "./migrate.js";
import { createSqlAccountStore } from "./sql-account-store.js";
import { createSqlStore, toSyncError } from "./sql-store.js";
import type { SqlClient, SqlExecutor } from "./sql-store.js";
import type { RelayStore } from "./store.js";

/**
 * How the relay's PGlite runs. Postgres's default shared_buffers (128 MB) is memory PGlite touches
 * as it starts: a relay on a reopened folder held 354 MB, 286 MB of it PGlite's (bench/README.md,
 * embedded start). One person's relay keeps a few MB of rows, and PGlite's files are in the
 * operating system's page cache below its buffers; 16 MB of buffers cut bare PGlite's open to
 * about 175 MB and its start by a third.
 */
export const EMBEDDED_PGLITE = { startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"] } satisfies PGliteOptions;

/** Opens (or creates) the store in dataDir; in memory when dataDir is undefined. */
export async function openPgliteStore(dataDir: string | undefined): Promise<RelayStore> {
  let db: PGlite;
  try {
    db = await PGlite.create(dataDir, EMBEDDED_PGLITE);
  } catch (err) {
    throw toSyncError(err);
  }
  return openPgliteStoreOn(db);
}

/** Runs the migrations on an open PGlite and returns the store; the store's close closes db. */
export async function openPgliteStoreOn(db: PGlite): Promise<RelayStore> {
  const client = new PgliteSqlClient(db);
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

class PgliteSqlClient implements SqlClient {
  #closing: Promise<void> | undefined;

  constructor(private readonly db: PGlite) {}

  query(sql: string, params?: readonly unknown[]) {
    return this.guard(() => run(this.db, sql, params));
  }

  exec(script: string) {
    return this.guard(async () => {
      await this.db.exec(script);
    });
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    // PGlite's transaction() issues BEGIN (READ COMMITTED is its default) and rolls back on a throw.
    return this.guard(() =>
      this.db.transaction((tx) =>
        fn({
          query: (sql, params) => run(tx, sql, params),
          exec: async (script) => {
            await tx.exec(script);
          },
        }),
      ),
    );
  }

  close(): Promise<void> {
    this.#closing ??= this.db.close();
    return this.#closing;
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    // A closed PGlite says so without a code; give it the one a closed pg pool gets, so a store
    // shutting down answers UNAVAILABLE on both backends.
    if (this.#closing !== undefined) throw new ClosedError();
    try {
      return await fn();
    } finally {
      // PGlite answers in microtasks only: a caller looping over store calls (a pull loop, a
      // relay draining a queue) would otherwise starve timers and sockets until it stopped.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

class ClosedError extends Error {
  override readonly name = "ClosedError";
  readonly code = "08003";
  constructor() {
    super("the PGlite store is closed");
  }
}

async function run(db: PGlite | Transaction, sql: string, params?: readonly unknown[]) {
  const result = await db.query<Record<string, unknown>>(sql, params === undefined ? undefined : [...params]);
  return { rows: result.rows, rowCount: result.rowCount ?? result.affectedRows ?? result.rows.length };
}
