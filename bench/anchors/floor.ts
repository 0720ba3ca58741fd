// The floor from DESIGN.md, measured in the same run: a bare WebSocket round trip on loopback
// (a `ws` echo server, one client, one frame in flight) and one raw optimistic-lock UPDATE
// committed through `pg` (autocommit, so the statement is one round trip and one durable
// commit). Our edit-to-other-device p50 target is <= 4x (round trip + commit).
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo";
import pg from "pg";
import WebSocket, { WebSocketServer } from "ws";
import { latencyStats, type LatencyStats } from "../report.js";
import { withTimeout } from "../support/bounded.js";
import { databaseUrl } from "../support/postgres.js";
import { workoutDocument } from "../workload.js";

export interface FloorResult {
  wsRoundTrip: LatencyStats;
  pgCommit: LatencyStats;
  /** Bytes of the document column the UPDATE writes (one saved workout document). */
  docBytes: number;
  /** p50(ws round trip) + p50(pg commit). */
  floorP50: number;
}

export async function measureFloor(options: { samples: number; schema: string }): Promise<FloorResult> {
  const wsRoundTrip = await wsEcho(options.samples);
  const doc = A.from(workoutDocument(0, parseAutomergeUrl(generateAutomergeUrl()).documentId, "floor-device", "floor", Date.now()));
  const bytes = A.save(doc);
  A.free(doc);
  const pgCommit = await pgOptimisticCommit(options.samples, options.schema, bytes);
  return { wsRoundTrip, pgCommit, docBytes: bytes.length, floorP50: wsRoundTrip.p50 + pgCommit.p50 };
}

async function wsEcho(samples: number): Promise<LatencyStats> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(server, "listening");
  server.on("connection", (socket) => {
    socket.on("message", (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  try {
    await withTimeout(once(client, "open"), 5_000, "the ws echo connection");
    const frame = new Uint8Array(256).fill(7);
    const roundTrip = (): Promise<number> =>
      withTimeout(
        new Promise<number>((resolve) => {
          const start = performance.now();
          client.once("message", () => resolve(performance.now() - start));
          client.send(frame, { binary: true });
        }),
        5_000,
        "a ws echo",
      );
    const warmup = Math.min(200, samples);
    for (let i = 0; i < warmup; i++) await roundTrip();
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push(await roundTrip());
    return latencyStats(times);
  } finally {
    client.terminate();
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function pgOptimisticCommit(samples: number, schema: string, doc: Uint8Array): Promise<LatencyStats> {
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    await client.query("CREATE TABLE floor_rows (id int PRIMARY KEY, version int NOT NULL, doc bytea NOT NULL)");
    await client.query("INSERT INTO floor_rows VALUES (1, 0, $1)", [doc]);
    const buffer = Buffer.from(doc.buffer, doc.byteOffset, doc.byteLength);
    let version = 0;
    const commit = async (): Promise<number> => {
      const start = performance.now();
      const result = await client.query("UPDATE floor_rows SET version = version + 1, doc = $3 WHERE id = $1 AND version = $2", [
        1,
        version,
        buffer,
      ]);
      const elapsed = performance.now() - start;
      if (result.rowCount !== 1) throw new Error(`floor: optimistic UPDATE at version ${version} changed ${result.rowCount} rows`);
      version += 1;
      return elapsed;
    };
    const warmup = Math.min(100, samples);
    for (let i = 0; i < warmup; i++) await commit();
    const times: number[] = [];
    for (let i = 0; i < samples; i++) times.push(await commit());
    return latencyStats(times);
  } finally {
    await client.end();
  }
}
