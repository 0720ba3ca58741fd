// The embedded-start anchor's child: PGlite opening a data folder bare (no relay, no migrations),
// then one query. Prints one JSON line with its own figures, then exits.
// Usage: node bench/support/pglite-open.mjs DIR. Plain JavaScript, so no loader is timed with it.
import process from "node:process";
import { PGlite } from "@electric-sql/pglite";

const dir = process.argv[2];
if (!dir) throw new Error("usage: pglite-open DIR");
const db = await PGlite.create(dir);
await db.query("SELECT 1");
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({ event: "pglite_ready", cpu_ms: (cpu.user + cpu.system) / 1000, rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20) })}\n`);
await db.close();
