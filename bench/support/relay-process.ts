// A bench relay (support/relay-main.ts) in a process of its own: started, asked for its CPU time
// (from /proc, so the bench can say how much work the relays did apart from how long they waited
// for a core), and stopped with SIGTERM (SIGKILL if it overruns).
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { statCpuMs } from "./proc-cpu.js";
import type { BenchFanout } from "./relay-main.js";

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), "relay-main.ts");
/** The repository root, where `--import tsx` resolves. */
const ROOT = join(dirname(ENTRY), "..", "..");

export interface BenchRelayProcess {
  readonly pid: number;
  readonly syncUrl: string;
  /** User + system CPU time the process has used so far, in ms (0 where /proc is missing). */
  cpuMs(): number;
  stop(): Promise<void>;
}

export interface BenchRelayOptions {
  /** DATABASE_URL of the relay (a bench schema: `options=-c search_path=...`). */
  databaseUrl: string;
  fanout: BenchFanout;
  /** NATS subjects' prefix, one per run. */
  natsPrefix?: string;
  readyTimeoutMs?: number;
}

export async function startBenchRelay(options: BenchRelayOptions): Promise<BenchRelayProcess> {
  const child: ChildProcessByStdio<null, Readable, Readable> = spawn(process.execPath, ["--import", "tsx", ENTRY], {
    env: {
      ...process.env,
      DATABASE_URL: options.databaseUrl,
      BENCH_FANOUT: options.fanout,
      ...(options.natsPrefix ? { BENCH_NATS_PREFIX: options.natsPrefix } : {}),
      PORT: "0",
    },
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-16 * 1024);
  };
  child.stderr.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const syncUrl = await new Promise<string>((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bench relay not ready within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      keep(chunk);
      buffer += chunk.toString();
      const lines = buffer.split("\n");
      buffer = lines.pop()!;
      for (const line of lines) {
        const url = readyUrl(line);
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`bench relay exited before it was ready (code ${child.exitCode}):\n${output}`));
    });
  });
  const pid = child.pid!;
  return {
    pid,
    syncUrl,
    cpuMs: () => statCpuMs(`/proc/${pid}/stat`) ?? 0,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const overran = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(overran);
    },
  };
}

function readyUrl(line: string): string | undefined {
  try {
    const parsed = JSON.parse(line) as { event?: unknown; sync_url?: unknown };
    return parsed.event === "relay_ready" && typeof parsed.sync_url === "string" ? parsed.sync_url : undefined;
  } catch {
    return undefined;
  }
}

