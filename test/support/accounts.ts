// Accounts for tests: relays that hash passwords cheaply (the production cost is a fixed
// 32 MiB scrypt per sign-in; tests sign in hundreds of devices), and a readable account per
// person a test names.
import { AuthApi, type AuthSession } from "../../client/core/index.js";
import { startRelay, type Relay, type RelayOptions } from "../../relay/server.js";
import type { AuthOptions } from "../../relay/auth/account-service.js";

// Tests sign up hundreds of people from one address; the per-address sign-up limit has its own test.
export const TEST_AUTH: Partial<AuthOptions> = { scrypt: { N: 1024, r: 8, p: 1 }, maxSignups: 1_000_000 };

/** startRelay with cheap password hashing; everything else as given. */
export function startTestRelay(options: RelayOptions): Promise<Relay> {
  return startRelay({ ...options, auth: { ...TEST_AUTH, ...options.auth } });
}

/** The account of the person a test calls `label`: signed up by the first device that uses it. */
export function testAccount(label: string): { email: string; password: string } {
  return { email: `${label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}@ironflow.test`, password: "correct horse battery staple" };
}

/**
 * A session for a device whose relay a unit test plays (test/support/scripted-relay.ts): the
 * scripted relay does not check tokens, and this one does not expire within any test.
 */
export function scriptedSession(userId = "user-1", deviceId = "device-under-test"): AuthSession {
  return { userId, deviceId, accessToken: "scripted", refreshToken: "scripted.refresh", expiresIn: 365 * 24 * 3600 };
}

/** The accounts API of a relay nobody runs: for devices that never sign in over HTTP. */
export const offlineAuthApi = new AuthApi("http://127.0.0.1:9");
