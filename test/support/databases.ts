// Fresh, isolated relay stores for tests, on both backends. Each call gets its own database
// state: a new schema on the machine's Postgres, or a new PGlite loaded from an image of a data
// folder made once per test run by global-setup.ts (initdb costs seconds; loading the image
// about one).
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { Client } from "pg";
import { inject } from "vitest";
import { openPgStore } from "../../relay/store/pg-store.js";
import type { PgStoreOptions } from "../../relay/store/pg-store.js";
import { EMBEDDED_PGLITE, openPgliteStoreOn } from "../../relay/store/pglite-store.js";
import type { RelayStore } from "../../relay/store/store.js";

export const databaseUrl = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";

/** A connection URL (the test database's, or `base`) whose tables are those of `schema`. */
export function schemaUrl(schema: string, base: string = databaseUrl): string {
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

export interface StoreFixture {
  store: RelayStore;
  /** Closes the current store and opens the same database again (migrations run again). */
  reopen: () => Promise<RelayStore>;
  /** Closes the store and throws its database state away. */
  close: () => Promise<void>;
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

/** An initdb'd, empty data folder as a tarball: global-setup.ts's file, read once per process. */
function pgliteTemplate(): Promise<Blob> {
  template ??= readFile(inject("pgliteTemplate")).then((bytes) => new Blob([bytes]));
  return template;
}

/**
 * A store in a fresh in-memory PGlite loaded from the template (in memory: a data folder on disk
 * costs a third more CPU per test to write and delete).
 */
export async function freshPgliteStore(): Promise<StoreFixture> {
  let db = await PGlite.create({ ...EMBEDDED_PGLITE, loadDataDir: await pgliteTemplate() });
  let store = await openPgliteStoreOn(db);
  return {
    get store() {
      return store;
    },
    async reopen() {
      // An in-memory database outlives its instance only as an image of its data folder.
      const image = await db.dumpDataDir("none");
      await store.close();
      db = await PGlite.create({ ...EMBEDDED_PGLITE, loadDataDir: image });
      store = await openPgliteStoreOn(db);
      return store;
    },
    close: () => store.close(),
  };
}

export interface StoreBackend {
  name: string;
  open: () => Promise<StoreFixture>;
}

export const storeBackends: StoreBackend[] = [
  { name: "postgres", open: () => freshPgStore() },
  { name: "pglite", open: freshPgliteStore },
];
