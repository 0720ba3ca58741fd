// A device's session through sleep, expiry and sign-out, against the real relay and Postgres,
// on one fake clock for both (so a token expires when the test says): exactly one refresh when
// a token expired while offline or during a connection, never a loop of refusals; a refused
// refresh signs the device out and the queue waits; signing out keeps every unsynced change,
// and signing in again as the same person syncs them; another person never gets them.
import { afterEach, describe, expect, it } from "vitest";
import { AuthApi, Code, SyncError, type Fetch, type IronFlowClient } from "../../client/core/index.js";
import { openNodeClient } from "../../client/node/open-node-client.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { FakeClock } from "../support/fake-clock.js";
import { tempDir, workout } from "../support/devices.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relay(clock: FakeClock): Promise<Relay> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store, clock });
  cleanups.push(() => db.close(), () => r.close().catch(() => undefined));
  return r;
}

/** The global fetch, counting the refreshes it carries. */
function countingFetch(): { fetch: Fetch; refreshes: () => number } {
  let refreshes = 0;
  return {
    fetch: (url, init) => {
      if (url.endsWith("/auth/refresh")) refreshes += 1;
      return globalThis.fetch(url, init);
    },
    refreshes: () => refreshes,
  };
}

async function device(r: Relay, clock: FakeClock, name: string, fetch?: Fetch, dataDir?: string, user = "ada"): Promise<IronFlowClient> {
  let dir = dataDir;
  if (!dir) {
    const made = tempDir(name);
    cleanups.push(() => made.remove());
    dir = made.path;
  }
  const client = await openNodeClient({ dataDir: dir, relayUrl: r.syncUrl, account: testAccount(user), deviceName: name, timers: clock, syncOnChange: false, ...(fetch ? { fetch } : {}) });
  cleanups.push(() => client.close());
  return client;
}

function log(client: IronFlowClient, title: string): Promise<string> {
  return client.create("workout", { ...workout(title, [{ name: "Squat", sets: [[5, 100]] }]), startedAt: Date.UTC(2026, 0, 1) + title.length * 3_600_000 });
}

describe("a device's session", () => {
  it("a token that expired while the device was offline is refreshed exactly once when it is back, then it syncs", async () => {
    const clock = new FakeClock(Date.now());
    const r = await relay(clock);
    const counter = countingFetch();
    const phone = await device(r, clock, "phone", counter.fetch);
    await phone.syncNow();
    phone.goOffline();
    await log(phone, "Basement");
    clock.advance(3 * 3600_000); // hours asleep: the 15-minute access token is long gone
    await phone.syncNow();
    expect(counter.refreshes()).toBe(1);
    expect(phone.status().queueDepth).toBe(0);
  });

  it("a token that expires during an open connection: the relay refuses the next push, one refresh, the push goes through", async () => {
    const clock = new FakeClock(Date.now());
    const r = await relay(clock);
    const counter = countingFetch();
    const phone = await device(r, clock, "phone", counter.fetch);
    await phone.syncNow();
    clock.advance(16 * 60_000);
    await log(phone, "Evening");
    const report = await phone.syncNow();
    expect(report.pushed).toBe(1);
    expect(counter.refreshes()).toBe(1);
  });

  it("a token the relay refuses although the device thinks it valid (its clock runs behind) is refreshed once, and hello said again", async () => {
    const relayClock = new FakeClock(Date.now());
    const r = await relay(relayClock);
    const counter = countingFetch();
    const deviceClock = new FakeClock(Date.now());
    const phone = await device(r, deviceClock, "phone", counter.fetch);
    phone.goOffline();
    relayClock.advance(20 * 60_000); // only the relay's time passes: to the device its token is fresh
    await log(phone, "Behind");
    expect((await phone.syncNow()).pushed).toBe(1);
    expect(counter.refreshes()).toBe(1);
  });

  it("a refresh the relay refuses signs the device out: the queue waits, counting nothing, with no loop of refusals", async () => {
    const clock = new FakeClock(Date.now());
    const r = await relay(clock);
    const counter = countingFetch();
    const phone = await device(r, clock, "phone", counter.fetch);
    await phone.syncNow();
    // The phone is revoked from another device.
    const tablet = await device(r, clock, "tablet");
    const phoneId = phone.account().deviceId;
    await tablet.revokeDevice(phoneId);
    const id = await log(phone, "After revoke");
    clock.advance(20 * 60_000);
    const failed = await phone.syncNow().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failed).toBeInstanceOf(SyncError);
    expect((failed as SyncError).code).toBe(Code.UNAUTHENTICATED);
    expect(phone.account().signedIn).toBe(false);
    expect(phone.queueItems().find((q) => q.entityId === id)).toMatchObject({ status: "pending", retryCount: 0 });
    clock.advance(60 * 60_000); // the scheduler does not hammer the relay while signed out
    await phone.syncNow().catch(() => undefined);
    expect(counter.refreshes()).toBe(1);
  });

  it("signing out keeps every unsynced change; signing in again as the same person syncs them", async () => {
    const clock = new FakeClock(Date.now());
    const r = await relay(clock);
    const dir = tempDir("phone");
    cleanups.push(() => dir.remove());
    const phone = await device(r, clock, "phone", undefined, dir.path);
    phone.goOffline();
    const id = await log(phone, "Unsynced");
    await phone.signOut();
    expect(phone.account().signedIn).toBe(false);
    expect(phone.status().queueDepth).toBe(1);
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
    const api = new AuthApi(r.url);
    await phone.signedIn(await api.signIn({ ...testAccount("ada"), deviceName: "phone", deviceId: phone.account().deviceId }));
    expect((await phone.syncNow()).pushed).toBe(1);
    const other = await device(r, clock, "tablet");
    await other.syncNow();
    expect(other.list("workout").map((w) => w.id)).toEqual([id]);
  });

  it("another person signing in on a device that holds someone's data is refused: it stays sealed and is not sent", async () => {
    const clock = new FakeClock(Date.now());
    const r = await relay(clock);
    const dir = tempDir("shared-laptop");
    cleanups.push(() => dir.remove());
    const ada = await device(r, clock, "laptop", undefined, dir.path);
    ada.goOffline();
    await log(ada, "Ada's unsynced");
    await ada.signOut();
    await ada.close();
    const refused = await device(r, clock, "laptop", undefined, dir.path, "grace").then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: Code.PERMISSION_DENIED });
    const graceElsewhere = await device(r, clock, "grace-phone", undefined, undefined, "grace");
    await graceElsewhere.syncNow();
    expect(graceElsewhere.list("workout")).toEqual([]);
  });
});
