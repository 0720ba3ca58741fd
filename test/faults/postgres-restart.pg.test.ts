// The relay's database server restarted under a running relay: a PostgreSQL 15 cluster private to
// this test process (test/support/private-postgres.ts), stopped and started again on the same
// port, so no other test file's database goes away. While the server is down the relay answers
// UNAVAILABLE; once it is back the same relay serves again, without being restarted itself.
//
// A relay that was just started has not read its token signing key from the database yet: the
// first Hello reads it. When that Hello came while the server was down, the relay kept the failed
// read and answered every later Hello with that ECONNREFUSED until it was restarted (the
// convergence property's "cannot sync after heal" after a restart_postgres step).
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../schema/protocol/frames.js";
import { Code } from "../../schema/status.js";
import type { Relay } from "../../relay/server.js";
import { openPgStore } from "../../relay/store/index.js";
import { startTestRelay } from "../support/accounts.js";
import { privatePostgres, type PrivatePostgres, type StopMode } from "../support/private-postgres.js";
import { RawRelaySocket, signIn } from "../support/raw-relay-socket.js";
import { Cleanups } from "./fixtures.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

let cluster: PrivatePostgres | undefined;
afterAll(() => cluster?.destroy());

async function freshDatabaseUrl(): Promise<string> {
  cluster ??= await privatePostgres();
  return cluster.url(await cluster.createDatabase("restart"));
}

/** A relay on its own pool to the database, as a relay process has; it closes after the test. */
async function relayOn(url: string): Promise<Relay> {
  const store = await openPgStore(url, { max: 4, onIdleError: () => undefined });
  const relay = await startTestRelay({ store });
  cleanups.add(() => relay.close().catch(() => undefined));
  return relay;
}

/** What the relay answers a Hello with this access token, on a connection of its own: "welcome", or the error's code and message. */
async function hello(relay: Relay, accessToken: string): Promise<string> {
  const socket = await RawRelaySocket.connect(relay.syncUrl);
  try {
    const { body } = await socket.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken } });
    return body.case === "error" ? `${Code[body.value.code]}: ${body.value.message}` : body.case;
  } finally {
    socket.close();
  }
}

function restart(mode: StopMode, whileDown: () => Promise<void>): Promise<void> {
  if (!cluster) throw new Error("no cluster yet");
  return cluster.restart(mode, whileDown);
}


describe("the relay's Postgres restarted under it", () => {
  it.each<StopMode>(["fast", "immediate"])(
    "a relay whose first Hello came while Postgres was down (%s stop) says welcome once it is back",
    async (mode) => {
      const url = await freshDatabaseUrl();
      // Ada signs up through a first relay, which stores the signing key in the database.
      const first = await relayOn(url);
      const session = await signIn(first.syncUrl, "ada", "phone");
      await first.close();
      // A relay started again on that database: it has not read the key yet.
      const relay = await relayOn(url);
      await restart(mode, async () => {
        expect(await hello(relay, session.accessToken)).toMatch(/^UNAVAILABLE: store unavailable/);
      });
      expect(await hello(relay, session.accessToken)).toBe("welcome");
    },
  );

  it.each<StopMode>(["fast", "immediate"])("a relay that served before a %s restart serves after it, on new connections", async (mode) => {
    const url = await freshDatabaseUrl();
    const relay = await relayOn(url);
    const session = await signIn(relay.syncUrl, "ada", "phone");
    // The pool now holds idle connections to the server that is about to go away.
    expect(await hello(relay, session.accessToken)).toBe("welcome");
    await restart(mode, async () => {
      expect(await hello(relay, session.accessToken)).toMatch(/^UNAVAILABLE: store unavailable/);
    });
    expect(await hello(relay, session.accessToken)).toBe("welcome");
  });
});
