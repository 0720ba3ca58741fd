// Fresh, isolated relay stores for tests, on both backends. Each call gets its own database
// state: a new schema on the machine's Postgres, or a new PGlite data folder copied from a
// template made once per process (initdb costs seconds; copying the template does not).
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Client } from "pg";
import { openPgStore } from "../../relay/store/pg-store.js";
import type { PgStoreOptions } from "../../relay/store/pg-store.js";
import { openPgliteStore, openPgliteStoreOn } from "../../relay/store/pglite-store.js";
import type { RelayStore } from "../../relay/store/store.js";

export const databaseUrl = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";

export interface StoreFixture {
  store: RelayStore;
  /** Closes the current store and opens the same database again (migrations run again). */
  reopen(): Promise<RelayStore>;
  /** Closes the store and throws its database state away. */
  close(): Promise<void>;
}

export interface PgStoreFixture extends StoreFixture {
  /** The schema holding this fixture's tables. */
  schema: string;
}

/** Runs fn on a short-lived superuser connection, beside the store's pool. */
export async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function freshPgStore(opts: Omit<PgStoreOptions, "searchPath"> = {}): Promise<PgStoreFixture> {
  const schema = `test_${process.pid}_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE SCHEMA ${schema}`));
  const open = () => openPgStore(databaseUrl, { ...opts, searchPath: schema });
  let store: RelayStore;
  try {
    store = await open();
  } catch (err) {
    await dropSchema(schema);
    throw err;
  }
  return {
    schema,
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await open();
      return store;
    },
    async close() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

function dropSchema(schema: string) {
  return withAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
}

let template: Promise<Blob> | undefined;

/** An initdb'd, empty data folder as a tarball, made once per process. */
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const db = await PGlite.create();
    try {
      return await db.dumpDataDir("none");
    } finally {
      await db.close();
    }
  })();
  return template;
}

/** A store in a fresh PGlite data folder on disk, so reopen goes through openPgliteStore(dataDir). */
export async function freshPgliteStore(): Promise<StoreFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), "ironflow-pglite-"));
  let store: RelayStore;
  try {
    store = await openPgliteStoreOn(await PGlite.create(dataDir, { loadDataDir: await pgliteTemplate() }));
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    get store() {
      return store;
    },
    async reopen() {
      await store.close();
      store = await openPgliteStore(dataDir);
      return store;
    },
    async close() {
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface StoreBackend {
  name: string;
  open(): Promise<StoreFixture>;
}

export const storeBackends: StoreBackend[] = [
  { name: "postgres", open: () => freshPgStore() },
  { name: "pglite", open: freshPgliteStore },
];
