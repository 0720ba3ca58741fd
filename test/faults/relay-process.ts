// The relay as `npm start` runs it (relay/main.ts), in its own process, so a test can kill it
// with SIGKILL: nothing in it gets to clean up, flush or answer. Its database is a fresh schema
// on the machine's Postgres, named through DATABASE_URL (`options=-c search_path=...`).
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { databaseUrl, withAdmin } from "../support/databases.js";

export interface RelaySchema {
  name: string;
  /** DATABASE_URL for a relay whose tables live in this schema. */
  url: string;
  drop(): Promise<void>;
}

export async function freshRelaySchema(): Promise<RelaySchema> {
  const name = `fault_${process.pid}_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => admin.query(`CREATE SCHEMA ${name}`));
  const url = new URL(databaseUrl);
  url.searchParams.set("options", `-c search_path=${name}`);
  return {
    name,
    url: url.toString(),
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
}

/** Starts relay/main.ts on `port`; resolves once it logged relay_ready. */
export async function startRelayProcess(options: { databaseUrl: string; port: number; readyTimeoutMs?: number }): Promise<RelayProcess> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, ["--import", "tsx", "relay/main.ts"], {
    env: { ...process.env, DATABASE_URL: options.databaseUrl, PORT: String(options.port), HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  let gone = false;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => {
      gone = true;
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`relay process not ready within ${options.readyTimeoutMs ?? 20_000} ms:\n${output}`));
    }, options.readyTimeoutMs ?? 20_000);
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      output += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
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
