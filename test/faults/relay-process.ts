// The relay as `npm start` runs it (dist-relay/relay/main.js, relay/build.mjs's build of
// relay/main.ts, made once per test run by test/support/global-setup.ts), in its own process, so
// a test can kill it with SIGKILL: nothing in it gets to clean up, flush or answer. Its database
// is any DATABASE_URL, e.g. a fresh schema on the machine's Postgres from freshRelaySchema
// (`options=-c search_path=...`). Started from the build, a relay is ready on about 0.7 s of CPU;
// through tsx's loader it took about 2 s, and the fault tests start a dozen.
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { schemaUrl, withAdmin } from "../support/databases.js";

/** What `npm start` runs; test/support/global-setup.ts builds it before any test file starts. */
const BUILT_RELAY = "dist-relay/relay/main.js";

/** A relay process that starts on a loaded two-core machine (CI beside other work) takes over 20 s. */
const READY_TIMEOUT_MS = 60_000;

export interface RelaySchema {
  name: string;
  /** DATABASE_URL for a relay whose tables live in this schema. */
  url: string;
  drop(): Promise<void>;
}

export async function freshRelaySchema(): Promise<RelaySchema> {
  const name = `fault_${process.pid}_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE SCHEMA ${name}`));
  return {
    name,
    url: schemaUrl(name),
    drop: () => withAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)).then(() => undefined),
  };
}


export interface RelayProcess {
  readonly port: number;
  readonly syncUrl: string;
  readonly pid: number;
  /** SIGKILL, at once (synchronous, so it can be called at an exact moment). */
  killNow(): void;
  /** Resolves once the process is gone. */
  readonly exited: Promise<void>;
  /** SIGTERM (a clean shutdown) unless already gone; resolves once it is. */
  stop(): Promise<void>;
  /** How it ended, once it has: an exit code, or the signal that ended it. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** What it wrote (stdout and stderr, the last 64 KB), for failure messages. */
  output(): string;
}

export interface RelayProcessOptions {
  databaseUrl: string;
  port: number;
  readyTimeoutMs?: number;
  /** More environment for the relay (beside DATABASE_URL, PORT and HOST). */
  env?: Record<string, string>;
  /** Told each line the relay logs (JSON lines on stdout, anything on stderr). */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** The script to run instead of the built relay (it must log the same relay_ready line). */
  entry?: string;
  /** Node's options before the script; default ["--enable-source-maps"], as `npm start` has. */
  execArgv?: string[];
}

/** Starts the built relay (or options.entry) on `port`; resolves once it logged relay_ready. */
export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, [...(options.execArgv ?? ["--enable-source-maps"]), options.entry ?? BUILT_RELAY], {
    env: { ...process.env, ...options.env, DATABASE_URL: options.databaseUrl, PORT: String(options.port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (text: string) => {
    output += text;
    if (output.length > 128 * 1024) output = output.slice(-64 * 1024);
  };
  let stderrLine = "";
  child.stderr.on("data", (chunk: Buffer) => {
    keep(chunk.toString());
    if (!options.onLine) return;
    const lines = (stderrLine + chunk.toString()).split("\n");
    stderrLine = lines.pop()!;
    for (const line of lines) options.onLine(line, "stderr");
  });
  let gone = false;
  let exit: RelayProcess["exit"];
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      gone = true;
      exit = { code, signal };
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`relay process not ready within ${options.readyTimeoutMs ?? READY_TIMEOUT_MS} ms:\n${output}`));
    }, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      keep(chunk.toString());
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        options.onLine?.(line, "stdout");
        if (readyEvent(line)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`relay process exited before it was ready (code ${child.exitCode}):\n${output}`));
    });
  });
  return {
    port: options.port,
    syncUrl: `ws://127.0.0.1:${options.port}/sync`,
    pid: child.pid!,
    killNow: () => {
      child.kill("SIGKILL");
    },
    exited,
    async stop() {
      if (!gone) child.kill("SIGTERM");
      await exited;
    },
    get exit() {
      return exit;
    },
    output: () => output,
  };
}

function readyEvent(line: string): boolean {
  try {
    const parsed: unknown = JSON.parse(line);
    return typeof parsed === "object" && parsed !== null && "event" in parsed && parsed.event === "relay_ready";
  } catch {
    return false;
  }
}
