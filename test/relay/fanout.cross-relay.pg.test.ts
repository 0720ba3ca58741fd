// The Fanout contract for the cross-relay fan-out, on both backbones: two relays' fan-outs on
// real LISTEN/NOTIFY (one schema of the machine's Postgres) and on a real NATS server (one of
// this file's own). Pokes small enough ride inline; the read-from-Postgres path has its own test
// in test/relays.
import { afterAll, beforeAll } from "vitest";
import { systemClock } from "../../relay/clock.js";
import { silentLogger } from "../../relay/logger.js";
import { openCrossRelayFanout } from "../../relay/backbone/cross-relay-fanout.js";
import { openNatsBackbone } from "../../relay/backbone/nats-backbone.js";
import { openPgNotifyBackbone } from "../../relay/backbone/pg-notify-backbone.js";
import type { OpenBackbone } from "../../relay/backbone/backbone.js";
import { freshPgStore, schemaUrl } from "../support/databases.js";
import { startPrivateNats, type PrivateNats } from "../support/private-nats.js";
import { runFanoutSuite, type FanoutHarness } from "./fanout-suite.js";

let nats: PrivateNats;
beforeAll(async () => {
  nats = await startPrivateNats();
});
afterAll(() => nats.close());

async function twoRelays(backbone: (searchPath: string) => OpenBackbone): Promise<FanoutHarness> {
  const db = await freshPgStore();
  const options = { store: db.store, clock: systemClock, log: silentLogger };
  const relays = [await openCrossRelayFanout(backbone(db.schema), options), await openCrossRelayFanout(backbone(db.schema), options)] as const;
  return {
    relays,
    close: async () => {
      await Promise.all(relays.map((relay) => relay.close()));
      await db.close();
    },
  };
}

runFanoutSuite("CrossRelayFanout on LISTEN/NOTIFY", () =>
  twoRelays((schema) => (handlers) => openPgNotifyBackbone({ connectionString: schemaUrl(schema), clock: systemClock, log: silentLogger }, handlers)),
);

runFanoutSuite("CrossRelayFanout on NATS", () =>
  twoRelays((schema) => (handlers) => openNatsBackbone({ url: nats.url, clock: systemClock, log: silentLogger, prefix: `test.${schema}` }, handlers)),
);
