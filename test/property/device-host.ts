// One device of the convergence property in its own process, so the test can SIGKILL it the
// moment it said "saved" and open its data folder again. Started by remote-device.ts with
// child_process.fork and an IPC channel: `node --import tsx device-host.ts`, or (the default, at
// half the start-up CPU) plain node on an esbuild bundle of this file, see bundles.ts. Answers the
// requests of host-protocol.ts one client at a time: a host is reused across runs, each run
// opening a fresh client on a fresh folder (or its folder again, after a restart).
//
// Every call into the client's API is in CLIENT below and nowhere else, so a change of that API
// is made in one place.
import { openNodeClient } from "../../client/node/open-node-client.js";
import type { ConflictChoice, EntityType, IronFlowClient, Payloads } from "../../client/core/index.js";
import { SyncError, codeName } from "../../client/core/index.js";
import { applyMutation, type Applied } from "./mutations.js";
import { ASKING_TYPES, type HostError, type HostMessage, type Op, type OpenArgs, type Ops, type ReadBack, type Request, type Resolution } from "./host-protocol.js";

/** The client API, op by op: the one place this file (and the property test) calls it. */
const CLIENT = {
  open: (a: OpenArgs, now: () => number) =>
    openNodeClient({
      dataDir: a.dataDir,
      relayUrl: a.relayUrl,
      ...(a.account ? { account: a.account } : {}),
      accountsUrl: a.accountsUrl,
      deviceName: a.deviceName,
      now,
      requestTimeoutMs: a.requestTimeoutMs,
      maxBatchItems: a.maxBatchItems,
      syncOnChange: a.syncOnChange,
      // Pages of 3 records, packed from 2 loose ones: the device's records move between loose
      // values and pages all the time, and the kills right after "saved" land in packs.
      recordPages: { pageRecords: 3, packAfter: 2 },
    }),
  deviceId: (c: IronFlowClient) => c.deviceId,
  userId: (c: IronFlowClient) => c.account().userId,
  subscribe: (c: IronFlowClient, listener: () => void) => c.subscribe(listener),
  create: (c: IronFlowClient, type: EntityType, payload: Payloads[EntityType]) => c.create(type, payload),
  update: (c: IronFlowClient, id: string, mutate: (payload: unknown) => void) => c.update(id, mutate),
  delete: (c: IronFlowClient, id: string, basedOn: string[] | undefined) => c.delete(id, { basedOn }),
  get: (c: IronFlowClient, id: string) => c.get(id),
  read: (c: IronFlowClient, id: string) => c.read(id),
  list: (c: IronFlowClient, type: EntityType | undefined, includeDeleted: boolean) => c.list(type, { includeDeleted }),
  conflicts: (c: IronFlowClient) => c.conflicts(),
  resolveConflict: (c: IronFlowClient, id: string, choice: ConflictChoice, seenServerVersion: number | undefined) => c.resolveConflict(id, choice, seenServerVersion),
  resolutions: (c: IronFlowClient): Resolution[] =>
    c.resolutions().map((r) => ({ id: r.id, entityId: r.entityId, entityType: r.entityType, kind: r.kind, path: r.path.join("."), lost: r.lost, at: r.at, restoredAt: r.restoredAt, restorable: r.restorable })),
  restoreResolution: (c: IronFlowClient, id: string) => c.restoreResolution(id),
  syncNow: (c: IronFlowClient) => c.syncNow(),
  status: (c: IronFlowClient) => c.status(),
  queueItems: (c: IronFlowClient) => c.queueItems(),
  close: (c: IronFlowClient) => c.close(),
};

let client: IronFlowClient | undefined;
let opening = false;
let unsubscribe: (() => void) | undefined;
let clock = 0;
let skew = 0;
let generation = 0;
/** Conflict records of the wrong type already reported for this client. */
const reported = new Set<string>();

function send(message: HostMessage): void {
  // With the channel closed, send() raises an error event; the uncaughtException handler below
  // would report it with another send(), and so on forever.
  if (process.connected) process.send?.(message);
}

function open(): IronFlowClient {
  if (!client) throw new Error("no client is open in this host");
  return client;
}

type Handlers = { [K in Op]: (args: Ops[K][0]) => Promise<Ops[K][1]> | Ops[K][1] };

const handlers: Handlers = {
  async open(a) {
    if (client || opening) throw new Error("a client is already open in this host");
    clock = a.clock;
    skew = a.skew;
    reported.clear();
    opening = true;
    const opened = await CLIENT.open(a, () => clock + skew).finally(() => {
      opening = false;
    });
    client = opened;
    const mine = ++generation;
    // Every client event: a conflict record for a type that must not ask is reported at once,
    // even if it is gone again before the test looks.
    unsubscribe = CLIENT.subscribe(opened, () => {
      for (const item of CLIENT.conflicts(opened)) {
        if (ASKING_TYPES.has(item.entityType) || reported.has(item.entityId)) continue;
        reported.add(item.entityId);
        send({ event: "wrong_conflict", entityType: item.entityType, entityId: item.entityId, generation: mine });
      }
    });
    return { deviceId: CLIENT.deviceId(opened), userId: CLIENT.userId(opened), generation: mine };
  },
  setClock({ now }) {
    clock = now;
  },
  create: ({ type, payload }) => CLIENT.create(open(), type, payload),
  async update({ id, mutation }) {
    let applied: Applied = { applied: false };
    await CLIENT.update(open(), id, (payload) => {
      applied = applyMutation(payload, mutation);
    });
    return applied;
  },
  delete: ({ id, basedOn }) => CLIENT.delete(open(), id, basedOn),
  get: ({ id }) => CLIENT.get(open(), id),
  read: ({ id }) => CLIENT.read(open(), id),
  list: ({ type, includeDeleted }) => CLIENT.list(open(), type, includeDeleted ?? false),
  async readAll() {
    const c = open();
    const items = CLIENT.list(c, undefined, true);
    const docs: ReadBack[] = [];
    for (const item of items) {
      try {
        docs.push({ id: item.id, doc: await CLIENT.get(c, item.id) });
      } catch (err) {
        docs.push({ id: item.id, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
      }
    }
    return { items, docs };
  },
  conflicts: () => CLIENT.conflicts(open()),
  resolveConflict: ({ id, choice, seenServerVersion }) => CLIENT.resolveConflict(open(), id, choice, seenServerVersion),
  resolutions: () => CLIENT.resolutions(open()),
  restoreResolution: ({ id }) => CLIENT.restoreResolution(open(), id),
  syncNow: () => CLIENT.syncNow(open()),
  status: () => CLIENT.status(open()),
  queueItems: () => CLIENT.queueItems(open()),
  async close() {
    const c = client;
    if (!c) return;
    unsubscribe?.();
    unsubscribe = undefined;
    client = undefined;
    await CLIENT.close(c);
  },
};

function toHostError(err: unknown): HostError {
  if (err instanceof SyncError) return { code: codeName(err.code), message: err.message, name: err.name };
  if (err instanceof Error) return { code: null, message: err.stack ?? err.message, name: err.name };
  return { code: null, message: String(err), name: "Error" };
}

process.on("message", (message: Request) => {
  // IPC messages are untyped at run time: an op this host does not know is answered as an error.
  const handler = handlers[message.op] as ((args: unknown) => unknown) | undefined;
  void (async () => {
    try {
      if (!handler) throw new Error(`unknown op ${message.op}`);
      const value = await handler(message.args);
      send({ id: message.id, ok: true, value });
    } catch (err) {
      send({ id: message.id, ok: false, error: toHostError(err) });
    }
  })();
});

// Escaped exceptions are the test's finding, not this process's end: report them and go on.
process.on("uncaughtException", (err) => send({ event: "escaped", kind: "uncaughtException", stack: err.stack ?? String(err), generation, open: client !== undefined }));
process.on("unhandledRejection", (err) =>
  send({ event: "escaped", kind: "unhandledRejection", stack: err instanceof Error ? (err.stack ?? err.message) : String(err), generation, open: client !== undefined }),
);
// The test process went away: nothing is left to answer. A test process that ended while this
// one was still loading closed the channel before this listener existed: no event comes then.
process.on("disconnect", () => process.exit(0));
if (!process.connected) process.exit(0);

send({ event: "ready" });
