// Two relays' SyncServices and cross-relay fan-outs on LISTEN/NOTIFY over one fresh schema, the
// set-up of the tests of lost pokes: relay A's fan-out reaches Postgres through a proxy the test
// can cut or black out, relay B's directly. The relays' timers run on a fake clock the test moves
// (none comes due by itself: no cursor check, no reconnect, unless the test advances it).
import type { CrossRelayOptions } from "../../relay/backbone/cross-relay-fanout.js";
import { openCrossRelayFanout } from "../../relay/backbone/cross-relay-fanout.js";
import { openPgNotifyBackbone, type PgNotifyOptions } from "../../relay/backbone/pg-notify-backbone.js";
import { silentLogger, type Logger } from "../../relay/logger.js";
import type { Relay } from "../../relay/server.js";
import { openPgStore } from "../../relay/store/pg-store.js";
import { startTestRelay } from "../support/accounts.js";
import { databaseUrl, freshPgStore, schemaUrl, type PgStoreFixture } from "../support/databases.js";
import { FakeClock } from "../support/fake-clock.js";
import { openTestDevice, type Cleanups } from "../faults/fixtures.js";
import type { IronFlowClient } from "../../client/core/index.js";
import { TcpProxy } from "../faults/tcp-proxy.js";

export const CURSOR_CHECK_MS = 3_600_000;

export interface TwoRelays {
  db: PgStoreFixture;
  clock: FakeClock;
  /** Relay A's fan-out link to Postgres (its LISTEN and its NOTIFY connections). */
  linkOfA: TcpProxy;
  relayA: Relay;
  relayB: Relay;
}

export interface TwoRelaysOptions {
  /** Relay A's fan-out log (B's is silent). */
  logOfA?: Logger;
  fanout?: Partial<Pick<CrossRelayOptions, "sentWaitMs">>;
  backbone?: Partial<Pick<PgNotifyOptions, "sendTimeoutMs">>;
}

export async function twoRelaysOnNotify(cleanups: Cleanups, options: TwoRelaysOptions = {}): Promise<TwoRelays> {
  const db = await freshPgStore();
  cleanups.add(db.close);
  const postgres = new URL(databaseUrl);
  const linkOfA = await TcpProxy.open({ host: postgres.hostname, port: Number(postgres.port || 5432) });
  cleanups.add(() => linkOfA.close());
  const proxied = new URL(databaseUrl);
  proxied.port = String(linkOfA.port);
  const clock = new FakeClock();
  const fanout = async (url: string, log: Logger) => {
    const opened = await openCrossRelayFanout((handlers) => openPgNotifyBackbone({ connectionString: url, clock, log, ...options.backbone }, handlers), {
      store: db.store,
      clock,
      log,
      cursorCheckMs: CURSOR_CHECK_MS,
      ...options.fanout,
    });
    cleanups.add(() => opened.close());
    return opened;
  };
  const relayA = await startTestRelay({ store: db.store, fanout: await fanout(schemaUrl(db.schema, proxied.toString()), options.logOfA ?? silentLogger) });
  cleanups.add(() => relayA.close());
  const storeOfB = await openPgStore(databaseUrl, { searchPath: db.schema });
  const relayB = await startTestRelay({ store: storeOfB, fanout: await fanout(schemaUrl(db.schema), silentLogger) });
  cleanups.add(() => relayB.close());
  return { db, clock, linkOfA, relayA, relayB };
}

export interface PhoneAndTablet {
  /** The phone's connection to relay A, through a proxy the test can cut. */
  toA: TcpProxy;
  phone: IronFlowClient;
  tablet: IronFlowClient;
}

/** A phone on relay A (through a proxy) and a tablet on relay B, each synced once (subscribed to its relay's fan-out). */
export async function phoneOnATabletOnB(cleanups: Cleanups, { relayA, relayB }: Pick<TwoRelays, "relayA" | "relayB">): Promise<PhoneAndTablet> {
  const toA = await TcpProxy.open({ port: relayA.port });
  cleanups.add(() => toA.close());
  const phone = await openTestDevice(cleanups, "phone", toA.syncUrl);
  const tablet = await openTestDevice(cleanups, "tablet", relayB.syncUrl);
  await phone.syncNow();
  await tablet.syncNow();
  return { toA, phone, tablet };
}
