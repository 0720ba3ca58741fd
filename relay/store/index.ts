// The relay store's public entry: Postgres when a URL is configured, else PGlite in a data folder.
import { openPgStore } from "./pg-store.js";
import type { PgStoreOptions } from "./pg-store.js";
import { openPgliteStore } from "./pglite-store.js";
import type { RelayStore } from "./store.js";

export interface StoreConfig {
  /** postgres://… ; when absent or empty, PGlite is used. */
  databaseUrl?: string;
  /** PGlite's data folder; in memory when absent (nothing survives the process). */
  dataDir?: string;
  /** Pool settings and the idle-connection error listener, for Postgres only. */
  pg?: PgStoreOptions;
}

export function openStore(config: StoreConfig): Promise<RelayStore> {
  return config.databaseUrl ? openPgStore(config.databaseUrl, config.pg) : openPgliteStore(config.dataDir);
}

export { openPgStore } from "./pg-store.js";
export type { PgStoreOptions } from "./pg-store.js";
export { EMBEDDED_PGLITE, openPgliteStore, openPgliteStoreOn } from "./pglite-store.js";
export { RETRY_AFTER_MS, toSyncError } from "./sql-store.js";
export type { ChangesPage, EntityWrite, RelayStore, StoredEntity, VersionsPage, WriteOutcome } from "./store.js";
