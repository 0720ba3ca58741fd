// The devices of one run: real Node clients in temp folders, each behind its own FaultyLink, on
// a test clock that advances one second per step (plus a per-device skew), so hybrid clocks and
// last-write-wins are decided by the scenario, not by how fast the machine runs.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IronFlowClient, SyncReport } from "../../client/core/index.js";
import { httpOrigin, openNodeClient } from "../../client/node/open-node-client.js";
import { FaultyLink } from "./faulty-link.js";
import { testAccount } from "../support/accounts.js";
import type { Trace } from "./ledger.js";

export interface Device {
  index: number;
  name: string;
  client: IronFlowClient;
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
  userId: string;
  relayUrl: () => string;
  clock: TestClock;
  trace: Trace;
  autoSync: boolean;
  requestTimeoutMs: number;
}

// Device folders live in memory when the machine has /dev/shm: the same file-system adapter,
// without a disk's metadata costs on every Automerge Repo compaction.
const deviceRoot = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

export async function openDevices(o: DeviceOptions): Promise<{ devices: Device[]; close(): Promise<void> }> {
  const devices: Device[] = [];
  // One cleanup chain per device (client, then link, then folder); devices close side by side.
  const chains: (() => Promise<void> | void)[][] = [];
  const close = async () => {
    await Promise.all(
      chains.splice(0).map(async (chain) => {
        for (const cleanup of chain.reverse()) await cleanup();
      }),
    );
  };
  try {
    for (let index = 0; index < o.count; index++) {
      const name = `d${index}`;
      const chain: (() => Promise<void> | void)[] = [];
      chains.push(chain);
      const dir = mkdtempSync(join(deviceRoot, `ironflow-property-${name}-`));
      chain.push(() => rmSync(dir, { recursive: true, force: true }));
      const link = await FaultyLink.open(name, o.relayUrl, (line) => {
        o.trace.add(line);
        o.trace.count(`link: ${/^\S+ #\d+ (\w+)/.exec(line)?.[1] ?? "other"}`);
      });
      chain.push(() => link.close());
      const skew = o.skews[index] ?? 0;
      const client = await openNodeClient({
        dataDir: dir,
        relayUrl: link.url,
        account: testAccount(o.userId),
        // The link proxies the sync socket only; accounts are asked of the relay itself.
        accountsUrl: httpOrigin(o.relayUrl()),
        deviceName: name,
        now: () => o.clock.now + skew,
        requestTimeoutMs: o.requestTimeoutMs,
        syncOnChange: o.autoSync,
      });
      chain.push(() => client.close());
      devices.push({ index, name, client, link });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { devices, close };
}

/** syncNow, with a failure written to the trace instead of thrown (failing is allowed mid-run). */
export async function trySync(device: Device, trace: Trace): Promise<SyncReport | undefined> {
  try {
    const report = await device.client.syncNow();
    trace.count("sync: answered");
    trace.count("sync: conflicts kept", report.conflicts);
    trace.add(`${device.name} synced: pushed ${report.pushed}, pulled ${report.pulled}, conflicts ${report.conflicts}, errors ${report.errors}`);
    return report;
  } catch (err) {
    trace.count("sync: failed");
    trace.add(`${device.name} sync failed: ${(err as Error).message}`);
    return undefined;
  }
}
