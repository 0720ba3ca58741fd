// What the fault tests share: devices with their own folders and knobs, the relay's rows read
// straight from Postgres, and a cleanup list that closes everything in reverse order.
import { openNodeClient } from "../../client/node/open-node-client.js";
import { testAccount } from "../support/accounts.js";
import type { IronFlowClient, SyncLogger } from "../../client/core/index.js";
import { withAdmin } from "../support/databases.js";
import { tempDir, waitFor, workout } from "../support/devices.js";

export const USER = "user-1";

export class Cleanups {
  private readonly closers: (() => unknown)[] = [];

  add(close: () => unknown): void {
    this.closers.push(close);
  }

  /** Runs every closer, newest first; the first failure is thrown after all ran. */
  async run(): Promise<void> {
    let first: unknown;
    while (this.closers.length > 0) {
      try {
        await this.closers.pop()!();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first instanceof Error ? first : new Error("a cleanup failed", { cause: first });
  }
}

export interface DeviceKnobs {
  requestTimeoutMs?: number;
  maxBatchItems?: number;
  syncOnChange?: boolean;
  dataDir?: string;
  /** The device's sync events (sync_attempt, sync_success with its trigger, ...). */
  log?: SyncLogger;
}

/** A Node device in a temp folder (or `dataDir`, to reopen one), closed and removed by `cleanups`. */
export async function openTestDevice(cleanups: Cleanups, name: string, relayUrl: string, knobs: DeviceKnobs = {}): Promise<IronFlowClient> {
  let dataDir = knobs.dataDir;
  if (dataDir === undefined) {
    const dir = tempDir(name);
    cleanups.add(() => dir.remove());
    dataDir = dir.path;
  }
  const client = await openNodeClient({
    dataDir,
    relayUrl,
    account: testAccount(USER),
    deviceName: name,
    requestTimeoutMs: knobs.requestTimeoutMs ?? 10_000,
    maxBatchItems: knobs.maxBatchItems,
    syncOnChange: knobs.syncOnChange ?? false,
    ...(knobs.log ? { log: knobs.log } : {}),
  });
  cleanups.add(() => client.close());
  return client;
}

let sessions = 0;

/**
 * Logs `count` workouts titled `${prefix} ${i}`, each an hour after the previous one (workouts
 * logged for the same minute are flagged as possible duplicates, which is not what these tests
 * are about); resolves with their ids once all are saved.
 */
export async function logWorkouts(client: IronFlowClient, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const payload = workout(`${prefix} ${i}`, [{ name: "Squat", sets: [[5, 100 + i]] }]);
    payload.startedAt = Date.UTC(2026, 0, 1) + ++sessions * 3_600_000;
    ids.push(await client.create("workout", payload));
  }
  return ids;
}

/** Resolves once nothing is left to push (every queue item synced) and the last run succeeded. */
export function settled(client: IronFlowClient): Promise<void> {
  return waitFor(client, () => {
    const status = client.status();
    return status.queueDepth === 0 && status.lastError === null && status.progress === null && client.queueItems().every((item) => item.status === "synced");
  });
}

export interface RelayRow {
  entityId: string;
  entityType: string;
  version: number;
  cursor: bigint;
  title: string | null;
  /** The document's own id, inside its materialised JSON. */
  docId: string;
}

/** The person's rows (each fault test has one person in its own schema) as Postgres holds them, read directly. */
export async function relayRows(schema: string): Promise<RelayRow[]> {
  return withAdmin(async (admin) => {
    const result = await admin.query<{ entity_id: string; entity_type: string; version: number; cursor: string; title: string | null; doc_id: string }>(
      `SELECT entity_id, entity_type, version, cursor::text AS cursor, data->'payload'->>'title' AS title, data->>'id' AS doc_id
         FROM ${schema}.entities WHERE user_id <> '_catalog' ORDER BY cursor`,
    );
    return result.rows.map((r) => ({
      entityId: r.entity_id,
      entityType: r.entity_type,
      version: r.version,
      cursor: BigInt(r.cursor),
      title: r.title,
      docId: r.doc_id,
    }));
  });
}

/**
 * A guard, not a synchronisation: rejects with `describe()`'s account if `promise` has not
 * settled within `ms`, so a hang fails with a message that says where it stood.
 */
export function guard<T>(promise: Promise<T>, ms: number, describe: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms: ${describe()}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Values that occur more than once, for messages that say what was duplicated. */
export function repeated<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const twice = new Set<T>();
  for (const value of values) (seen.has(value) ? twice : seen).add(value);
  return [...twice];
}
