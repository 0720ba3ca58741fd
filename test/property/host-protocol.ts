// The messages between the test process and a device host (device-host.ts) over the IPC channel
// of child_process.fork (structured clone: bigints and bytes cross as they are).
import type { ConflictChoice, EntityDocument, EntityListItem, EntityType, Payloads, SyncQueueItem, SyncReport, SyncStatusSnapshot } from "../../client/core/index.js";
import type { Applied, Mutation } from "./mutations.js";

/** A resolution record of the client (client.resolutions()), its path joined for the trace. */
export interface Resolution {
  id: string;
  entityId: string;
  entityType: EntityType;
  kind: string;
  path: string;
  lost: unknown;
  at: number;
  restoredAt: number | null;
  /** Restoring it would bring something back (something was lost, and it is not restored yet). */
  restorable: boolean;
}

export interface OpenArgs {
  dataDir: string;
  relayUrl: string;
  /** Signs in (signing up first if need be) on a device's first open; later opens use the session its folder kept. */
  account?: { email: string; password: string };
  /** The relay's http origin: the accounts API is not behind the device's WebSocket proxy. */
  accountsUrl: string;
  deviceName: string;
  /** ms added to the test clock on this device. */
  skew: number;
  /** The test clock when opening. */
  clock: number;
  requestTimeoutMs: number;
  maxBatchItems: number;
  syncOnChange: boolean;
}

/** One document read back: its JSON, or what reading it threw. */
export interface ReadBack {
  id: string;
  doc?: EntityDocument;
  error?: string;
}

/** Every request the host answers, with its arguments and its answer (void: the client method's own). */
/* eslint-disable @typescript-eslint/no-invalid-void-type */
export interface Ops {
  /** Answers the client's generation: how many clients this host has opened, this one included. */
  open: [OpenArgs, { deviceId: string; userId: string; generation: number }];
  setClock: [{ now: number }, void];
  create: [{ type: EntityType; payload: Payloads[EntityType] }, string];
  update: [{ id: string; mutation: Mutation }, Applied];
  /** basedOn: the heads of what the step read, as the app's editor passes what its screen showed. */
  delete: [{ id: string; basedOn?: string[] }, void];
  get: [{ id: string }, EntityDocument | undefined];
  /** The document and its heads (client.read). */
  read: [{ id: string }, { doc: EntityDocument; heads: string[] } | undefined];
  list: [{ type?: EntityType; includeDeleted?: boolean }, EntityListItem[]];
  /** list(undefined, { includeDeleted: true }), then get() of each, in the host. */
  readAll: [Record<string, never>, { items: EntityListItem[]; docs: ReadBack[] }];
  conflicts: [Record<string, never>, SyncQueueItem[]];
  resolveConflict: [{ id: string; choice: ConflictChoice; seenServerVersion?: number }, void];
  resolutions: [Record<string, never>, Resolution[]];
  restoreResolution: [{ id: string }, void];
  syncNow: [Record<string, never>, SyncReport];
  status: [Record<string, never>, SyncStatusSnapshot];
  queueItems: [Record<string, never>, SyncQueueItem[]];
  close: [Record<string, never>, void];
}
/* eslint-enable @typescript-eslint/no-invalid-void-type */

export type Op = keyof Ops;

export interface Request<K extends Op = Op> {
  id: number;
  op: K;
  args: Ops[K][0];
}

/** A failed request: the SyncError's code name (e.g. "UNAVAILABLE"), or null for another error. */
export interface HostError {
  code: string | null;
  message: string;
  name: string;
}

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: HostError };

export type HostEvent =
  | { event: "ready" }
  /** A conflict record appeared for a type the person must never be asked about. */
  | { event: "wrong_conflict"; entityType: string; entityId: string; generation: number }
  /**
   * An exception escaped into a callback (uncaught) or a promise nobody awaited. `generation`
   * is the latest client opened in the host (0: none yet); `open` says whether one is open now.
   */
  | { event: "escaped"; kind: "uncaughtException" | "unhandledRejection"; stack: string; generation: number; open: boolean };

export type HostMessage = Reply | HostEvent;

/** Operations that change data on the device: a success means "saved on this device". */
export const LOCAL_CHANGES: ReadonlySet<Op> = new Set<Op>(["create", "update", "delete", "resolveConflict", "restoreResolution"]);

/** Types whose conflicts ask the person; the test's own list, not read from the system's table. */
export const ASKING_TYPES: ReadonlySet<string> = new Set(["workout", "progression"]);
