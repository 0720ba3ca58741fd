// The ingest anchor: raw single-row optimistic-lock commits through `pg`, CLIENTS connections at
// once, each looping `UPDATE ... SET version = version + 1, doc = $doc WHERE id = $id AND
// version = $v` on a row of its own (autocommit: one round trip and one durable commit each).
// What Postgres on this machine commits per second when nothing else is in the way; the relay's
// ingest rate is read as a ratio to it (issue 17: >= 1x at 16 clients).
import pg from "pg";
import { databaseUrl } from "../support/postgres.js";

export interface LockRate {
  clients: number;
  commits: number;
  ms: number;
  commitsPerSecond: number;
}

export async function pgLockRate(options: { clients: number; durationMs: number; schema: string; doc: Uint8Array }): Promise<LockRate> {
  const connect = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${options.schema}` });
    await client.connect();
    return client;
  };
  const clients = await Promise.all(Array.from({ length: options.clients }, connect));
  const buffer = Buffer.from(options.doc.buffer, options.doc.byteOffset, options.doc.byteLength);
  try {
    const first = clients[0]!;
    await first.query("CREATE TABLE IF NOT EXISTS lock_rate_rows (id int PRIMARY KEY, version int NOT NULL, doc bytea NOT NULL)");
    await first.query("TRUNCATE lock_rate_rows");
    await first.query("INSERT INTO lock_rate_rows SELECT g, 0, $1 FROM generate_series(0, $2::int - 1) AS g", [buffer, options.clients]);
    let stop = false;
    const loop = async (client: pg.Client, id: number): Promise<number> => {
      let version = 0;
      while (!stop) {
        const result = await client.query("UPDATE lock_rate_rows SET version = version + 1, doc = $3 WHERE id = $1 AND version = $2", [
          id,
          version,
          buffer,
        ]);
        if (result.rowCount !== 1) throw new Error(`pg lock rate: the UPDATE at version ${version} changed ${result.rowCount} rows`);
        version += 1;
      }
      return version;
    };
    const start = performance.now();
    const loops = clients.map((client, id) => loop(client, id));
    // The loops stop themselves at the next commit after this; their count includes it.
    await new Promise<void>((resolve) => setTimeout(resolve, options.durationMs));
    stop = true;
    const counts = await Promise.all(loops);
    const ms = performance.now() - start;
    const commits = counts.reduce((a, b) => a + b, 0);
    return { clients: options.clients, commits, ms, commitsPerSecond: (commits / ms) * 1000 };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}
