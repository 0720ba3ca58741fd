// The accounts half of the relay's store seam: people, their devices, refresh tokens, failed
// sign-in counts and shared secrets. One SQL core (sql-account-store.ts) on pg and PGlite, run
// by the store conformance suite. Times are passed in (the relay's Clock), never read in SQL, so
// a test's fake clock decides every expiry.
// Specification: docs/accounts.md

export interface DeviceRow {
  deviceId: string;
  name: string;
  createdAt: number;
  lastSeenAt: number;
  revokedAt: number | null;
}

export type RefreshUse =
  /** The token was valid and unused: it is now used; issue its successor. */
  | { kind: "fresh"; deviceId: string; familyId: string }
  /** Used already, but within the grace window (a reply lost on the way): issue a successor again. */
  | { kind: "in_grace"; deviceId: string; familyId: string }
  /** Used before the grace window: someone holds a copy. The family is now revoked. */
  | { kind: "reused"; deviceId: string; familyId: string }
  /** Unknown, expired, revoked, or its device revoked. */
  | { kind: "invalid" };

/**
 * Contract:
 * - createAccount stores the account and its first device in one transaction; "email_taken"
 *   (nothing stored) when the lower-cased email has an account.
 * - addDevice registers a device (or renames it and marks it seen); "revoked" when that id was
 *   revoked for this user (a revoked id never comes back).
 * - useRefreshToken marks a token used and tells what the use means (see RefreshUse), in one
 *   transaction: two uses at once are ordered, never both "fresh".
 * - revokeDevice revokes the device and every refresh token it holds.
 * - Errors are SyncError, as for the entity store.
 */
export interface AccountStore {
  createAccount(account: { userId: string; email: string; passwordHash: string; deviceId: string; deviceName: string; at: number }): Promise<"created" | "email_taken">;
  findByEmail(email: string): Promise<{ userId: string; passwordHash: string } | null>;
  addDevice(userId: string, deviceId: string, name: string, at: number): Promise<"ok" | "revoked">;
  device(userId: string, deviceId: string): Promise<DeviceRow | null>;
  devices(userId: string): Promise<DeviceRow[]>;
  revokeDevice(userId: string, deviceId: string, at: number): Promise<boolean>;
  addRefreshToken(token: { userId: string; tokenHash: string; deviceId: string; familyId: string; issuedAt: number; expiresAt: number }): Promise<void>;
  useRefreshToken(userId: string, tokenHash: string, at: number, graceMs: number): Promise<RefreshUse>;
  /** Sign-out: the token's whole family. Returns false for a token it does not know. */
  revokeRefreshFamily(userId: string, tokenHash: string, at: number): Promise<boolean>;
  /** Counts a failure for `key` in the window that holds `at`; returns the failures in it. */
  countFailure(key: string, at: number, windowMs: number): Promise<number>;
  failures(key: string, at: number, windowMs: number): Promise<number>;
  clearFailures(key: string): Promise<void>;
  /** The shared secret `name`, made by `make` the first time any relay asks. */
  secret(name: string, make: () => string): Promise<string>;
}
