// A throwaway PostgreSQL 15 cluster of this test process's own, for tests that restart or crash
// the database server: stopping the machine's shared server would disturb every other test file
// running beside them. initdb runs once per process; tests take a fresh database each.
//
// - Binaries from /usr/lib/postgresql/15/bin (PG_BIN to point elsewhere).
// - initdb refuses to run as root: as root every server command runs as the `postgres` user
//   (runuser) on a folder that user owns; as anyone else, as that user on its own folder.
// - The server listens on 127.0.0.1 on a free port, with its unix socket inside the folder; it
//   trusts local connections (user postgres, no password).
// - fsync is off: a commit is in the OS page cache when it returns. An immediate stop (a crash of
//   the server, not of the machine) keeps it; a power cut would not. The folder lives in /dev/shm
//   when the machine has it.
// - The cluster is stopped and removed when the process exits; a cluster left behind by a
//   process that died without cleaning up is removed by the next one that starts.
import { execFile, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { userInfo, tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { freePort } from "./ports.js";

const BIN = process.env["PG_BIN"] || "/usr/lib/postgresql/15/bin";
const ROOT = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const PREFIX = "ironflow-pg-";

export type StopMode = "immediate" | "fast";

export interface PrivatePostgres {
  readonly port: number;
  /** Folder holding the data directory, the socket and the server log. */
  readonly dir: string;
  /** A connection URL for `database` (default "postgres") as the superuser. */
  url(database?: string): string;
  /** Creates an empty database and returns its name. */
  createDatabase(prefix?: string): Promise<string>;
  /** Runs fn on a short-lived superuser connection to `database`. */
  withClient<T>(database: string, fn: (client: Client) => Promise<T>): Promise<T>;
  /**
   * Stops the server and starts it again on the same port and folder. "immediate" is a crash
   * (no checkpoint; WAL recovery at start), "fast" a clean shutdown. Resolves once it accepts
   * connections again. whileDown, when given, runs after the server stopped and before it starts
   * again (the port refuses connections meanwhile); a rejection from it is thrown once the server
   * is back.
   */
  restart(mode: StopMode, whileDown?: () => Promise<void>): Promise<void>;
  /** The last lines of the server's log, for failure messages. */
  logTail(lines?: number): string;
  /** Stops the server and removes the folder. */
  destroy(): Promise<void>;
}

let shared: Promise<PrivatePostgres> | undefined;

/** The process's private cluster, made on first use. */
export function privatePostgres(): Promise<PrivatePostgres> {
  shared ??= startCluster().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

const asRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** argv to run a server binary as the cluster's owner. */
function command(binary: string, args: string[]): [string, string[]] {
  const path = join(BIN, binary);
  return asRoot ? ["runuser", ["-u", "postgres", "--", path, ...args]] : [path, args];
}

function run(binary: string, args: string[]): Promise<string> {
  const [file, argv] = command(binary, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${binary} ${args.join(" ")} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

function runSync(binary: string, args: string[]): void {
  const [file, argv] = command(binary, args);
  spawnSync(file, argv, { stdio: "ignore" });
}

function ownerPid(name: string): number | undefined {
  const pid = Number(name.slice(PREFIX.length).split("-")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Stops and removes clusters whose owning process is gone. */
function removeAbandoned(): void {
  for (const name of readdirSync(ROOT)) {
    if (!name.startsWith(PREFIX)) continue;
    const pid = ownerPid(name);
    if (pid === undefined || pid === process.pid || isRunning(pid)) continue;
    const dir = join(ROOT, name);
    if (existsSync(join(dir, "data", "postmaster.pid"))) runSync("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "-w", "stop"]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function startCluster(): Promise<PrivatePostgres> {
  if (!existsSync(join(BIN, "initdb"))) throw new Error(`${BIN}/initdb is missing: apt-get install -y postgresql-15 (or set PG_BIN)`);
  removeAbandoned();
  const dir = mkdtempSync(join(ROOT, `${PREFIX}${process.pid}-`));
  const data = join(dir, "data");
  const log = join(dir, "postgres.log");
  let destroyed = false;
  const removeNow = () => {
    if (destroyed) return;
    destroyed = true;
    if (existsSync(join(data, "postmaster.pid"))) runSync("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    rmSync(dir, { recursive: true, force: true });
  };
  // Backstops for a process that ends without destroy(): a normal exit, and SIGTERM/SIGINT (whose
  // default action skips 'exit' handlers; the signal is raised again once the cluster is gone).
  process.once("exit", removeNow);
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      removeNow();
      process.kill(process.pid, signal);
    });
  }
  try {
    if (asRoot) {
      // initdb refuses root: the folder belongs to postgres, who runs every server command.
      const { uid, gid } = postgresUser();
      chownSync(dir, uid, gid);
    }
    await run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"]);
    // Settings live in the cluster's own config, so every start (and restart) uses them.
    const settings = [
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      "fsync = off",
      "full_page_writes = off",
      "synchronous_commit = on",
      "max_connections = 200",
      "shared_buffers = 32MB",
      "logging_collector = off",
    ];
    writeFileSync(join(data, "postgresql.auto.conf"), `${settings.join("\n")}\n`);
    if (asRoot) {
      const { uid, gid } = postgresUser();
      chownSync(join(data, "postgresql.auto.conf"), uid, gid);
    }
    let port = 0;
    const start = () => run("pg_ctl", ["-D", data, "-l", log, "-w", "-t", "60", "-o", `-p ${port}`, "start"]);
    // A free port can be taken between asking and listening: try another one.
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (err) {
        if (attempt >= 2) throw err;
      }
    }
    const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
    const withClient = async <T>(database: string, fn: (client: Client) => Promise<T>): Promise<T> => {
      const client = new Client({ connectionString: url(database) });
      await client.connect();
      try {
        return await fn(client);
      } finally {
        await client.end();
      }
    };
    return {
      port,
      dir,
      url,
      withClient,
      async createDatabase(prefix = "test") {
        const name = `${prefix}_${randomBytes(6).toString("hex")}`;
        await withClient("postgres", (c) => c.query(`CREATE DATABASE ${name}`));
        return name;
      },
      async restart(mode, whileDown) {
        await run("pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "60", "stop"]);
        let failed: { err: unknown } | undefined;
        await whileDown?.().catch((err: unknown) => (failed = { err }));
        await start();
        if (failed) throw failed.err;
      },
      logTail(lines = 30) {
        try {
          return readFileSync(log, "utf8").split("\n").slice(-lines).join("\n");
        } catch {
          return "(no server log)";
        }
      },
      async destroy() {
        if (destroyed) return;
        await run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]).catch(() => undefined);
        removeNow();
        process.off("exit", removeNow);
        shared = undefined;
      },
    };
  } catch (err) {
    removeNow();
    throw err;
  }
}

function postgresUser(): { uid: number; gid: number } {
  const result = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gidResult = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  const uid = Number(result.stdout.trim());
  const gid = Number(gidResult.stdout.trim());
  if (result.status !== 0 || !Number.isInteger(uid) || !Number.isInteger(gid)) {
    throw new Error(`running as ${userInfo().username}: initdb refuses root, and there is no "postgres" user to run it as (install postgresql-15)`);
  }
  return { uid, gid };
}
