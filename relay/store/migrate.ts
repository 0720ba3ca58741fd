// Applies schema/migrations/*.sql in file-name order, each at most once, all in one transaction:
// a relay that dies mid-migration leaves the database as it was.
// Specification: docs/relay.md
import { readdir, readFile } from "node:fs/promises";
import type { SqlClient, SqlExecutor } from "./sql-store.js";

const MIGRATIONS_DIR = new URL("../../schema/migrations/", import.meta.url);

/** Returns the names of the migrations this call applied (none when the database is current). */
export async function migrate(client: SqlClient, dir: URL = MIGRATIONS_DIR): Promise<string[]> {
  const names = await migrationNames(dir);
  const scripts = await Promise.all(names.map(async (name) => ({ name, sql: await readFile(new URL(name, dir), "utf8") })));
  return client.transaction(async (tx) => {
    // Relays starting together would race on CREATE TABLE IF NOT EXISTS (it is not atomic
    // against a concurrent create); the lock is per schema so isolated test schemas don't wait.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('ironflow.migrate:' || current_schema()))");
    await tx.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const applied = new Set((await tx.query("SELECT name FROM schema_migrations")).rows.map((row) => String(row["name"])));
    const ran: string[] = [];
    for (const { name, sql } of scripts) {
      if (applied.has(name)) continue;
      await tx.exec(sql);
      await tx.query("INSERT INTO schema_migrations (name) VALUES ($1)", [name]);
      ran.push(name);
    }
    return ran;
  });
}

/**
 * The migrations this code has that the database has not applied (empty when current). A query
 * on the database: it throws when the database cannot be reached (readiness, GET /readyz).
 */
export async function pendingMigrations(client: SqlExecutor, dir: URL = MIGRATIONS_DIR): Promise<string[]> {
  const names = await migrationNames(dir);
  const applied = new Set((await client.query("SELECT name FROM schema_migrations")).rows.map((row) => String(row["name"])));
  return names.filter((name) => !applied.has(name));
}

async function migrationNames(dir: URL): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith(".sql")).sort();
}
