// Accounts over the relay's HTTP endpoints, against real Postgres: the contract's statuses and
// error bodies, rotation of refresh tokens with reuse detection and a grace window, the device
// list and revoking a device (its open connection closes at once), and sign-in limits.
import { afterEach, describe, expect, it } from "vitest";
import { AuthApi, Code, SyncError, type AuthSession } from "../../client/core/index.js";
import type { Relay } from "../../relay/server.js";
import { FakeClock } from "../support/fake-clock.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { RawRelaySocket } from "../support/raw-relay-socket.js";
import { PROTOCOL_VERSION } from "../../schema/protocol/frames.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function relay(options: Partial<Parameters<typeof startTestRelay>[0]> = {}): Promise<{ relay: Relay; api: AuthApi }> {
  const db = await freshPgStore();
  const r = await startTestRelay({ store: db.store, ...options });
  cleanups.push(() => db.close(), () => r.close().catch(() => undefined));
  return { relay: r, api: new AuthApi(r.url) };
}

/** What the relay answered, as status and body, for a raw HTTP request. */
async function http(r: Relay, method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers["authorization"] = `Bearer ${token}`;
  const response = await fetch(`${r.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });
  return { status: response.status, body: response.status === 204 ? undefined : ((await response.json()) as unknown) };
}

function refused(promise: Promise<unknown>): Promise<SyncError> {
  return promise.then(
    () => {
      throw new Error("expected a refusal");
    },
    (err: unknown) => {
      if (!(err instanceof SyncError)) throw err;
      return err;
    },
  );
}

const ADA = { ...testAccount("ada"), deviceName: "Ada's phone" };

describe("the /auth contract", () => {
  it("sign-up 201 and sign-in 200 give the session's shape; a taken email is 409 ALREADY_EXISTS", async () => {
    const { relay: r } = await relay();
    const signup = await http(r, "POST", "/auth/signup", ADA);
    expect(signup.status).toBe(201);
    const session = signup.body as AuthSession;
    expect(Object.keys(session).sort()).toEqual(["accessToken", "deviceId", "expiresIn", "refreshToken", "userId"]);
    expect(session.expiresIn).toBe(900);
    const taken = await http(r, "POST", "/auth/signup", { ...ADA, email: " ADA@ironflow.test " });
    expect(taken).toMatchObject({ status: 409, body: { code: "ALREADY_EXISTS" } });
    const signin = await http(r, "POST", "/auth/signin", { ...ADA, deviceName: "Ada's tablet" });
    expect(signin.status).toBe(200);
    expect((signin.body as AuthSession).userId).toBe((signup.body as AuthSession).userId);
    expect((signin.body as AuthSession).deviceId).not.toBe((signup.body as AuthSession).deviceId);
  });

  it("bad input is 400 INVALID_ARGUMENT naming the field; a wrong password is 401; no token is 401", async () => {
    const { relay: r } = await relay();
    await http(r, "POST", "/auth/signup", ADA);
    for (const body of [{ ...ADA, email: "not-an-email" }, { ...ADA, password: "short" }, { ...ADA, deviceName: "x".repeat(101) }, { ...ADA, extra: 1 }, "{not json"]) {
      const answer = await http(r, "POST", "/auth/signup", body);
      expect(answer).toMatchObject({ status: 400, body: { code: "INVALID_ARGUMENT" } });
    }
    expect(await http(r, "POST", "/auth/signin", { ...ADA, password: "wrong password" })).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });
    expect(await http(r, "POST", "/auth/signin", { ...ADA, email: "nobody@ironflow.test" })).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });
    expect(await http(r, "GET", "/auth/devices")).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });
  });

  it("after ten failed sign-ins an account is refused with 429 and a Retry-After, even with the right password", async () => {
    const { relay: r } = await relay();
    await http(r, "POST", "/auth/signup", ADA);
    for (let i = 0; i < 10; i++) expect((await http(r, "POST", "/auth/signin", { ...ADA, password: `guess number ${i}` })).status).toBe(401);
    const response = await fetch(`${r.url}/auth/signin`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ADA) });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ code: "RESOURCE_EXHAUSTED" });
  });
});

describe("sign-ups from one address", () => {
  it("past the limit are refused with 429", async () => {
    const { relay: r } = await relay({ auth: { maxSignups: 3 } });
    for (let i = 0; i < 3; i++) expect((await http(r, "POST", "/auth/signup", { ...testAccount(`person-${i}`), deviceName: "phone" })).status).toBe(201);
    expect(await http(r, "POST", "/auth/signup", { ...testAccount("one-too-many"), deviceName: "phone" })).toMatchObject({ status: 429, body: { code: "RESOURCE_EXHAUSTED" } });
  });
});

describe("refresh tokens", () => {
  it("rotate on every use; a token used twice after the grace window signs out its whole family", async () => {
    const clock = new FakeClock();
    const { api } = await relay({ clock });
    const first = await api.signUp(ADA);
    const second = await api.refresh(first.refreshToken);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await api.refresh(second.refreshToken);
    clock.advance(60_000);
    // Someone replays the first token: it was used long ago, so the family ends.
    expect((await refused(api.refresh(first.refreshToken))).code).toBe(Code.UNAUTHENTICATED);
    expect((await refused(api.refresh(third.refreshToken))).code).toBe(Code.UNAUTHENTICATED);
  });

  it("two refreshes with one token inside the grace window both work (a reply lost on the way)", async () => {
    const clock = new FakeClock();
    const { api } = await relay({ clock });
    const first = await api.signUp(ADA);
    const [a, b] = await Promise.all([api.refresh(first.refreshToken), api.refresh(first.refreshToken)]);
    expect(a.accessToken).not.toBe("");
    expect(b.accessToken).not.toBe("");
    clock.advance(10_000);
    await api.refresh(b.refreshToken);
  });

  it("sign-out ends the session: its refresh token no longer works", async () => {
    const { api } = await relay();
    const session = await api.signUp(ADA);
    await api.signOut(session.refreshToken);
    expect((await refused(api.refresh(session.refreshToken))).code).toBe(Code.UNAUTHENTICATED);
  });
});

describe("a person's devices", () => {
  it("are listed; revoking one closes its open connection at once, and its tokens stop working", async () => {
    const { relay: r, api } = await relay();
    const phone = await api.signUp({ ...ADA, deviceId: "ada-phone" });
    const tablet = await api.signIn({ ...ADA, deviceName: "Ada's tablet", deviceId: "ada-tablet" });
    const devices = await api.devices(phone.accessToken);
    expect(devices.map((d) => [d.deviceId, d.name, d.current, d.revoked])).toEqual([
      ["ada-phone", "Ada's phone", true, false],
      ["ada-tablet", "Ada's tablet", false, false],
    ]);
    const socket = await RawRelaySocket.connect(r.syncUrl);
    cleanups.push(() => socket.close());
    expect((await socket.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken: tablet.accessToken } })).body.case).toBe("welcome");
    await api.revokeDevice(phone.accessToken, "ada-tablet");
    await socket.closedPromise;
    expect(socket.closed?.code).toBe(1008);
    expect((await refused(api.refresh(tablet.refreshToken))).code).toBe(Code.UNAUTHENTICATED);
    expect((await refused(api.devices(tablet.accessToken))).code).toBe(Code.UNAUTHENTICATED);
    // The same phone signing in again is a new device: a revoked id never comes back.
    const again = await api.signIn({ ...ADA, deviceName: "Ada's tablet", deviceId: "ada-tablet" });
    expect(again.deviceId).not.toBe("ada-tablet");
    // Another person's device is not found, not revoked.
    const grace = await api.signUp({ ...testAccount("grace"), deviceName: "Grace's phone" });
    expect((await refused(api.revokeDevice(grace.accessToken, "ada-phone"))).code).toBe(Code.NOT_FOUND);
  });
});
