// Test devices: Node clients with their own data folders, against a relay on loopback.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openNodeClient } from "../../client/node/open-node-client.js";
import type { IronFlowClient } from "../../client/core/index.js";
import type { Payloads } from "../../schema/entities.js";
import { testAccount } from "./accounts.js";

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `ironflow-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface TestDevice {
  client: IronFlowClient;
  dataDir: string;
  name: string;
  close(): Promise<void>;
}

/** A device of the person a test calls `user` (signed up by the first of their devices). */
export async function openDevice(name: string, relayUrl: string, user = "user-1"): Promise<TestDevice> {
  const dir = tempDir(name);
  const device: TestDevice = {
    client: await openNodeClient({ dataDir: dir.path, relayUrl, account: testAccount(user), deviceName: name, requestTimeoutMs: 10_000 }),
    dataDir: dir.path,
    name,
    async close() {
      await device.client.close();
      dir.remove();
    },
  };
  return device;
}

let setCounter = 0;
export function workout(title: string, exercises: { name: string; sets: [reps: number, weight: number][] }[]): Payloads["workout"] {
  return {
    title,
    startedAt: Date.UTC(2026, 10, 20, 18, 0),
    completedAt: null,
    notes: "",
    exercises: exercises.map((e, i) => ({
      id: `ex-${i}-${e.name}`,
      name: e.name,
      sets: e.sets.map(([reps, weight]) => ({
        id: `set-${++setCounter}`,
        reps,
        weight,
        unit: "kg" as const,
        rpe: null,
        completed: true,
      })),
    })),
  };
}

/** Resolves when `predicate` holds, checked on every client notification; never waits on time. */
export function waitFor(client: IronFlowClient, predicate: () => boolean | Promise<boolean>): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const check = () => {
      if (done) return;
      void Promise.resolve(predicate()).then((ok) => {
        if (ok && !done) {
          done = true;
          unsubscribe();
          resolve();
        }
      }, reject);
    };
    const unsubscribe = client.subscribe(check);
    check();
  });
}
