// A NATS server of the test's own on a free loopback port, so a test can stop and start it
// without disturbing the machine's (other tests and engineers use that one). NATS_SERVER_BIN
// points elsewhere than Debian's /usr/sbin/nats-server.
import { spawn, type ChildProcess } from "node:child_process";
import { freePort } from "./ports.js";

const BIN = process.env["NATS_SERVER_BIN"] || "/usr/sbin/nats-server";

export interface PrivateNats {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL: an outage, not a goodbye); resolves once it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port; resolves once it accepts clients. */
  start(): Promise<void>;
  /** Stops it for good. */
  close(): Promise<void>;
}

export async function startPrivateNats(): Promise<PrivateNats> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(BIN, ["-a", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
      child = proc;
      let log = "";
      proc.stderr.on("data", (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes("Server is ready")) resolve();
      });
      proc.once("exit", (code) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)));
    });

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGKILL");
    await gone;
  };

  await start();
  return { port, url: `nats://127.0.0.1:${port}`, stop, start, close: stop };
}
