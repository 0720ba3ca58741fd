// The machine's Postgres for one bench run: a fresh schema made at the start and dropped at the
// end (as test/support/databases.ts does for tests), so the run leaves nothing behind.
import { randomBytes } from "node:crypto";
import pg from "pg";

export const databaseUrl = process.env["DATABASE_URL"] || "postgres://postgres@127.0.0.1:5432/test";

/** Runs fn on a short-lived connection beside everything else. */
export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface BenchSchema {
  name: string;
  drop(): Promise<void>;
}

export async function createBenchSchema(): Promise<BenchSchema> {
  const name = `bench_${process.pid}_${randomBytes(4).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE SCHEMA ${name}`));
  return {
    name,
    drop: () => withAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).then(() => undefined),
  };
}

export async function serverFacts(): Promise<{ version: string; fsync: string; synchronousCommit: string }> {
  return withAdmin(async (admin) => {
    const row = (
      await admin.query<{ version: string; fsync: string; sc: string }>(
        "SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc",
      )
    ).rows[0]!;
    return { version: row.version, fsync: row.fsync, synchronousCommit: row.sc };
  });
}
