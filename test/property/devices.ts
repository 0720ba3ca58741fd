// The devices of one run: each a real Node client in a process of its own (device-host.ts, from a
// pool of warm processes), on its own data folder, behind its own FaultyLink, on a test clock
// that advances one second per step (plus a per-device skew), so hybrid clocks and last-write-wins
// are decided by the scenario, not by how fast the machine runs.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SyncReport } from "../../client/core/index.js";
import { httpOrigin } from "../../client/node/open-node-client.js";
import { testAccount } from "../support/accounts.js";
import { FaultyLink } from "./faulty-link.js";
import type { HostEvent } from "./host-protocol.js";
import type { Trace } from "./ledger.js";
import { HostCallError, RemoteDevice, type HostPool } from "./remote-device.js";

export interface Device {
  index: number;
  name: string;
  remote: RemoteDevice;
  link: FaultyLink;
}

export class TestClock {
  now = Date.UTC(2026, 10, 20, 7);

  advance(): void {
    this.now += 1000;
  }
}

export interface DeviceOptions {
  count: number;
  skews: number[];
  /** The person, as the test names them (testAccount). */
  person: string;
  relayUrl: () => string;
  clock: TestClock;
  trace: Trace;
  autoSync: boolean;
  requestTimeoutMs: number;
  maxBatchItems: number;
  pool: HostPool;
  /** Told what a device's process reports (wrong conflict types, escaped exceptions). */
  onEvent: (device: RemoteDevice, event: HostEvent) => void;
  /** Told when a device's process ended without the test asking. */
  onDied: (device: RemoteDevice, why: string) => void;
}

// Device folders live in memory when the machine has /dev/shm: the same file-system adapter,
// without a disk's metadata costs on every Automerge Repo compaction. They sit in one folder per
// test process, removed when it exits (and, if it was killed, by the next one).
const ROOT = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const PREFIX = "ironflow-property-run-";
let processRoot: string | undefined;

function deviceRoot(): string {
  if (processRoot) return processRoot;
  for (const name of readdirSync(ROOT)) {
    const pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (name.startsWith(PREFIX) && pid !== process.pid && !isRunning(pid)) rmSync(join(ROOT, name), { recursive: true, force: true });
  }
  const root = mkdtempSync(join(ROOT, `${PREFIX}${process.pid}-`));
  process.once("exit", removeDeviceFolders);
  processRoot = root;
  return root;
}

/** Removes this process's device folders (the test's afterAll; also on a normal exit). */
export function removeDeviceFolders(): void {
  if (processRoot) rmSync(processRoot, { recursive: true, force: true });
  processRoot = undefined;
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function openDevices(o: DeviceOptions): Promise<{ devices: Device[]; close(): Promise<void> }> {
  const devices: Device[] = [];
  const folders: string[] = [];
  const close = async () => {
    // A client that cannot close cleanly (its process hung or died) takes its process with it.
    await onEach(devices, async (d) => {
      await d.remote.release().catch(() => d.remote.killNow());
      await d.link.close();
    });
    for (const [i, dir] of folders.entries()) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (err) {
        // Something still writes into a folder whose client has closed (ENOTEMPTY while removing
        // it): noted, and left to the removal of the process's folder at exit.
        o.trace.count("cleanup: folder still written after close");
        o.trace.add(`d${i}'s folder was still being written after its client closed: ${(err as Error).message}`);
      }
    }
  };
  try {
    for (let index = 0; index < o.count; index++) {
      const name = `d${index}`;
      const dir = mkdtempSync(join(deviceRoot(), `${name}-`));
      folders.push(dir);
      const link = await FaultyLink.open(name, o.relayUrl, (line) => {
        o.trace.add(line);
        o.trace.count(`link: ${/^\S+ #\d+ (\w+)/.exec(line)?.[1] ?? "other"}`);
      });
      const remote = new RemoteDevice(
        o.pool,
        index,
        name,
        {
          dataDir: dir,
          relayUrl: link.url,
          account: testAccount(o.person),
          accountsUrl: httpOrigin(o.relayUrl()),
          deviceName: name,
          skew: o.skews[index] ?? 0,
          requestTimeoutMs: o.requestTimeoutMs,
          maxBatchItems: o.maxBatchItems,
          syncOnChange: o.autoSync,
        },
        { event: o.onEvent, died: o.onDied },
      );
      devices.push({ index, name, remote, link });
    }
    await onEach(devices, (d) => d.remote.open(o.clock.now));
  } catch (err) {
    await close();
    throw err;
  }
  return { devices, close };
}

/**
 * Runs `fn` on every device at once and waits until each has finished, then throws the first
 * failure. (Promise.all would return at the first failure while the others still run, and a
 * device could open a client after the run had given its process back to the pool.)
 */
export async function onEach<D, T>(devices: D[], fn: (device: D) => Promise<T>): Promise<T[]> {
  const results = await Promise.allSettled(devices.map(fn));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Opens a device that is down (killed or closed) again on its folder. */
export async function ensureOpen(device: Device, clock: TestClock, trace: Trace): Promise<void> {
  if (device.remote.isOpen) return;
  await device.remote.open(clock.now);
  trace.count("device: opened again");
  trace.add(`${device.name} opened again on its folder (process ${device.remote.pid})`);
}

/**
 * syncNow, with a failure the device answered written to the trace instead of thrown (failing is
 * allowed mid-run). A process that hangs or dies still throws: that is a finding.
 */
export async function trySync(device: Device, trace: Trace, failed?: (message: string) => void): Promise<SyncReport | undefined> {
  try {
    const report = await device.remote.syncNow();
    trace.count("sync: answered");
    trace.count("sync: conflicts kept", report.conflicts);
    trace.add(`${device.name} synced: pushed ${report.pushed}, pulled ${report.pulled}, conflicts ${report.conflicts}, errors ${report.errors}`);
    return report;
  } catch (err) {
    if (!(err instanceof HostCallError)) throw err;
    trace.count("sync: failed");
    trace.add(`${device.name} sync failed: ${err.message}`);
    failed?.(`${err.code ?? err.error.name}: ${err.error.message.split("\n")[0]}`);
    return undefined;
  }
}
