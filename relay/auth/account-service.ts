// Accounts on the relay: sign-up, sign-in, refresh with rotation and reuse detection, sign-out,
// and a person's devices. The one place that turns an access token into a user and a device
// (relay/pipeline/authenticate.ts asks it). Errors are SyncError; the HTTP routes map them.
// Specification: docs/accounts.md
import { randomBytes, randomUUID } from "node:crypto";
import type { z } from "zod";
import { credentialsRequestSchema, refreshRequestSchema, type AuthSession, type DeviceInfo } from "../../schema/accounts.js";
import { Code, SyncError } from "../../schema/status.js";
import type { Clock } from "../clock.js";
import type { AccountStore } from "../store/account-store.js";
import { DEFAULT_SCRYPT_COST, hashPassword, verifyPassword, type ScryptCost } from "./passwords.js";
import { issueAccessToken, newRefreshToken, readRefreshToken, signingKey, verifyAccessToken, type AccessClaims } from "./tokens.js";

export interface AuthOptions {
  /** The access tokens' signing secret (32 bytes or more); by default one shared through the database. */
  secret?: Uint8Array;
  accessTtlMs: number;
  refreshTtlMs: number;
  /** A refresh token used again this soon after its first use (a lost reply) still works. */
  refreshGraceMs: number;
  scrypt: ScryptCost;
  /** Failed sign-ins per account, and per address, before 429, in `failureWindowMs`. */
  maxFailures: number;
  failureWindowMs: number;
  /** Sign-ups per address in `failureWindowMs`. */
  maxSignups: number;
}

export const DEFAULT_AUTH: AuthOptions = {
  accessTtlMs: 15 * 60_000,
  refreshTtlMs: 60 * 24 * 3600_000,
  refreshGraceMs: 30_000,
  scrypt: DEFAULT_SCRYPT_COST,
  maxFailures: 10,
  failureWindowMs: 15 * 60_000,
  maxSignups: 20,
};

/** A hash to check against when the email is unknown, so a wrong email costs what a wrong password does. */
const UNKNOWN_ACCOUNT = "scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export class AccountService {
  private key: Promise<Uint8Array> | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly clock: Clock,
    private readonly options: AuthOptions,
    /** A device was revoked: its open connections go at once. */
    private readonly onRevoked: (userId: string, deviceId: string) => void,
  ) {}

  async signup(body: unknown, address: string): Promise<AuthSession> {
    const request = parse(credentialsRequestSchema, body);
    const now = this.clock.now();
    if ((await this.store.countFailure(`signup:${address}`, now, this.options.failureWindowMs)) > this.options.maxSignups) {
      throw new SyncError(Code.RESOURCE_EXHAUSTED, "too many new accounts from this address; try again later", this.options.failureWindowMs);
    }
    const userId = randomUUID();
    const deviceId = request.deviceId ?? randomUUID();
    const passwordHash = await hashPassword(request.password, this.options.scrypt);
    const outcome = await this.store.createAccount({ userId, email: request.email, passwordHash, deviceId, deviceName: request.deviceName, at: now });
    if (outcome === "email_taken") throw new SyncError(Code.ALREADY_EXISTS, "this email already has an account: sign in");
    return this.issue(userId, deviceId, randomUUID());
  }

  async signin(body: unknown, address: string): Promise<AuthSession> {
    const request = parse(credentialsRequestSchema, body);
    const now = this.clock.now();
    const accountKey = `account:${request.email}`;
    const keys = [accountKey, `address:${address}`];
    for (const key of keys) {
      if ((await this.store.failures(key, now, this.options.failureWindowMs)) >= this.options.maxFailures) {
        throw new SyncError(Code.RESOURCE_EXHAUSTED, "too many failed sign-ins; try again later", this.options.failureWindowMs);
      }
    }
    const account = await this.store.findByEmail(request.email);
    const matches = await verifyPassword(request.password, account?.passwordHash ?? UNKNOWN_ACCOUNT);
    if (!account || !matches) {
      for (const key of keys) await this.store.countFailure(key, now, this.options.failureWindowMs);
      throw new SyncError(Code.UNAUTHENTICATED, "wrong email or password");
    }
    await this.store.clearFailures(accountKey);
    let deviceId = request.deviceId ?? randomUUID();
    // A revoked device's id never comes back: the same phone signing in again is a new device.
    if ((await this.store.addDevice(account.userId, deviceId, request.deviceName, now)) === "revoked") {
      deviceId = randomUUID();
      await this.store.addDevice(account.userId, deviceId, request.deviceName, now);
    }
    return this.issue(account.userId, deviceId, randomUUID());
  }

  /** A new access token and a new refresh token for a refresh token, which is then used up. */
  async refresh(body: unknown): Promise<AuthSession> {
    const { refreshToken } = parse(refreshRequestSchema, body);
    const read = readRefreshToken(refreshToken);
    if (!read) throw new SyncError(Code.UNAUTHENTICATED, "refresh token refused: sign in");
    const use = await this.store.useRefreshToken(read.userId, read.tokenHash, this.clock.now(), this.options.refreshGraceMs);
    switch (use.kind) {
      case "invalid":
        throw new SyncError(Code.UNAUTHENTICATED, "refresh token refused: sign in");
      case "reused":
        throw new SyncError(Code.UNAUTHENTICATED, "this refresh token was used before: every session it led to is signed out; sign in");
      case "fresh":
      case "in_grace":
        return this.issue(read.userId, use.deviceId, use.familyId);
    }
  }

  /** Ends the refresh token's session (its whole family). Unknown tokens are fine: signed out either way. */
  async signout(body: unknown): Promise<void> {
    const { refreshToken } = parse(refreshRequestSchema, body);
    const read = readRefreshToken(refreshToken);
    if (read) await this.store.revokeRefreshFamily(read.userId, read.tokenHash, this.clock.now());
  }

  async devices(accessToken: string): Promise<DeviceInfo[]> {
    const me = await this.verify(accessToken);
    const rows = await this.store.devices(me.userId);
    return rows.map((row) => ({
      deviceId: row.deviceId,
      name: row.name,
      createdAt: row.createdAt,
      lastSeenAt: row.lastSeenAt,
      revoked: row.revokedAt !== null,
      current: row.deviceId === me.deviceId,
    }));
  }

  /** Revokes one of the person's devices: its connections close now, its tokens stop working. */
  async revokeDevice(accessToken: string, deviceId: string): Promise<void> {
    const me = await this.verify(accessToken);
    if (!(await this.store.device(me.userId, deviceId))) throw new SyncError(Code.NOT_FOUND, "no such device");
    await this.store.revokeDevice(me.userId, deviceId, this.clock.now());
    this.onRevoked(me.userId, deviceId);
  }

  /** The user and device of a valid access token whose device is not revoked; UNAUTHENTICATED otherwise. */
  async verify(accessToken: string): Promise<AccessClaims & { deviceName: string }> {
    const claims = await verifyAccessToken(await this.signingKey(), accessToken, this.clock.now());
    const device = await this.store.device(claims.userId, claims.deviceId);
    if (!device || device.revokedAt !== null) throw new SyncError(Code.UNAUTHENTICATED, "this device was signed out: sign in");
    return { ...claims, deviceName: device.name };
  }

  private async issue(userId: string, deviceId: string, familyId: string): Promise<AuthSession> {
    const now = this.clock.now();
    const access = await issueAccessToken(await this.signingKey(), { userId, deviceId }, now, this.options.accessTtlMs);
    const refresh = newRefreshToken(userId);
    await this.store.addRefreshToken({ userId, tokenHash: refresh.tokenHash, deviceId, familyId, issuedAt: now, expiresAt: now + this.options.refreshTtlMs });
    return { userId, deviceId, accessToken: access.token, refreshToken: refresh.token, expiresIn: access.expiresAt / 1000 - Math.floor(now / 1000) };
  }

  /**
   * Read once and kept, but only once read: a failed read (the database was down, e.g. restarting)
   * is not kept, so the next request reads again instead of failing with it for good.
   */
  private signingKey(): Promise<Uint8Array> {
    this.key ??= this.options.secret
      ? Promise.resolve(signingKey(this.options.secret))
      : this.store.secret("access-token-key", () => randomBytes(32).toString("base64url")).then(
          (value) => signingKey(Buffer.from(value, "base64url")),
          (err: unknown) => {
            this.key = undefined;
            throw err;
          },
        );
    return this.key;
  }
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new SyncError(Code.INVALID_ARGUMENT, issue ? `${issue.path.join(".") || "body"}: ${issue.message}` : "invalid request");
}
