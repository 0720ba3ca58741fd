// A loopback port free at the time of asking, for a relay that must come back on the same one.
//
// Picked below the kernel's ephemeral range, not by listening on port 0: a port from that range
// is where every outgoing connection of every process takes its local port, so while a killed
// relay was down another test's connection (to Postgres, to another relay) could land on it and
// the restart failed with EADDRINUSE (seen once two files ran at a time). Below the range only
// an explicit bind takes a port, and tests bind explicitly only through here.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

const FALLBACK_EPHEMERAL_START = 32768;
const LOWEST = 10_000;

export async function freePort(): Promise<number> {
  const below = ephemeralStart();
  for (let attempt = 0; ; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (below - LOWEST));
    if (await isFree(port)) return port;
    if (attempt >= 100) throw new Error(`no free loopback port found between ${LOWEST} and ${below}`);
  }
}

function ephemeralStart(): number {
  try {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > LOWEST + 1000 ? start : FALLBACK_EPHEMERAL_START;
  } catch {
    return FALLBACK_EPHEMERAL_START;
  }
}

function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}
