// Our side's fixture: a relay (startRelay) on a store (the machine's Postgres in the run's fresh
// schema, or PGlite in a temp folder started from a cached initdb template), and devices A and B of one user: Node clients
// (openNodeClient) with file storage in temp folders, both connected and staying connected so
// the relay's fan-out reaches B live.
import type { IronFlowClient } from "../client/core/index.js";
import { openNodeClient } from "../client/node/open-node-client.js";
import { startRelay, type Relay } from "../relay/server.js";
import { BENCH_AUTH, benchAccount } from "./support/account.js";
import { openStore, type RelayStore } from "../relay/store/index.js";
import { withTimeout, type Cleanup } from "./support/bounded.js";
import { openPgliteStoreFromTemplate } from "./support/pglite-template.js";
import { tempFolders } from "./support/temp.js";
import { databaseUrl } from "./support/postgres.js";
import { timedStore, type StoreCall } from "./support/timed-store.js";

export type Backend = "postgres" | "pglite";

export const USER_ID = "bench-user";

/**
 * The relay's per-connection frame limit (200/s by default) is raised for the bench: the
 * sequential edit loop sends two frames per edit (the push, then the pull every sync ends
 * with) at hundreds of edits per second, and a frame over the limit is answered
 * RESOURCE_EXHAUSTED, which leaves that edit pending until the next local change.
 */
export const BENCH_FRAMES_PER_SECOND = 1_000_000;

export interface RelayPair {
  backend: Backend;
  relay: Relay;
  a: IronFlowClient;
  b: IronFlowClient;
  /** Every call the relay made on its store, timestamped. */
  storeCalls: StoreCall[];
  /** Opening the store (connect + migrations; for PGlite also loading the data folder, or initdb once). */
  storeOpenMs: number;
}

export async function openRelayPair(backend: Backend, schema: string, cleanup: Cleanup, waitMs: number): Promise<RelayPair> {
  const folders = tempFolders(cleanup);
  const started = performance.now();
  let inner: RelayStore;
  if (backend === "postgres") {
    inner = await openStore({ databaseUrl, pg: { searchPath: schema } });
  } else {
    inner = (await openPgliteStoreFromTemplate(folders.make("pglite"))).store;
  }
  const storeOpenMs = performance.now() - started;
  const timed = timedStore(inner);
  let relay: Relay;
  try {
    relay = await startRelay({ store: timed.store, host: "127.0.0.1", port: 0, limits: { framesPerSecond: BENCH_FRAMES_PER_SECOND }, auth: BENCH_AUTH });
  } catch (err) {
    await inner.close();
    throw err;
  }
  cleanup.add(`relay (${backend})`, () => relay.close());

  const device = async (name: string): Promise<IronFlowClient> => {
    const dataDir = folders.make(`${backend}-${name}`);
    const client = await openNodeClient({ dataDir, relayUrl: relay.syncUrl, account: benchAccount(USER_ID), deviceName: name, requestTimeoutMs: waitMs });
    cleanup.add(`device ${name} (${backend})`, async () => {
      // Let a sync still running finish first: its writes after close would land in a removed folder.
      await withTimeout(client.syncNow(), 10_000, `device ${name} settling`).catch(() => undefined);
      await client.close();
    });
    // Connects; the session stays open afterwards and receives the relay's fan-out.
    await withTimeout(client.syncNow(), waitMs, `device ${name} connecting`);
    return client;
  };
  const a = await device("a");
  const b = await device("b");
  return { backend, relay, a, b, storeCalls: timed.calls, storeOpenMs };
}
