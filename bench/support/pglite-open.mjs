// The embedded-start anchor's child: PGlite opening a data folder bare (no relay, no migrations),
// then one query. Prints one JSON line with its own figures, then exits.
// Usage: node bench/support/pglite-open.mjs DIR. Plain JavaScript, so no loader is timed with it.
import { PGlite } from "@electric-sql/pglite";

const dir = process.argv[2];
if (!dir) throw new Error("usage: pglite-open DIR");
const db = await PGlite.create(dir);
await db.query("SELECT 1");
const cpu = process.cpuUsage();
console.log(JSON.stringify({ event: "pglite_ready", cpu_ms: (cpu.user + cpu.system) / 1000, rss_mb: process.memoryUsage().rss / 2 ** 20 }));
await db.close();
