// Access tokens: short-lived JWTs (jose, HS256 only, issuer, audience, expiry and token type
// checked). Refresh tokens: random, stored hashed, and carrying their user id so every lookup
// starts with it.
// Specification: docs/accounts.md
import { createHash, randomBytes } from "node:crypto";
import { SignJWT, jwtVerify, errors as joseErrors } from "jose";
import { Code, SyncError } from "../../schema/status.js";

export const ISSUER = "ironflow-relay";
export const AUDIENCE = "ironflow-sync";
const ALGORITHM = "HS256";

export interface AccessClaims {
  userId: string;
  deviceId: string;
  /** ms since the epoch. */
  expiresAt: number;
}

/** The signing key: at least 32 bytes (jose would take 16; HS256 deserves the hash's width). */
export function signingKey(secret: Uint8Array): Uint8Array {
  if (secret.length < 32) throw new Error(`the access token secret must be 32 bytes or more, got ${secret.length}`);
  return secret;
}

export async function issueAccessToken(key: Uint8Array, claims: { userId: string; deviceId: string }, now: number, ttlMs: number): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = now + ttlMs;
  const token = await new SignJWT({ did: claims.deviceId, typ: "access" })
    .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.userId)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .setJti(randomBytes(12).toString("base64url"))
    .sign(key);
  return { token, expiresAt: Math.floor(expiresAt / 1000) * 1000 };
}

/** The token's user and device, or UNAUTHENTICATED saying why not (never which secret). */
export async function verifyAccessToken(key: Uint8Array, token: string, now: number): Promise<AccessClaims> {
  if (token.length === 0) throw new SyncError(Code.UNAUTHENTICATED, "sign in: no access token");
  if (token.length > 4096) throw new SyncError(Code.UNAUTHENTICATED, "access token too long");
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      currentDate: new Date(now),
      requiredClaims: ["sub", "exp", "iat"],
    });
    if (payload["typ"] !== "access") throw new SyncError(Code.UNAUTHENTICATED, "not an access token");
    const deviceId = payload["did"];
    if (typeof payload.sub !== "string" || typeof deviceId !== "string" || payload.exp === undefined) {
      throw new SyncError(Code.UNAUTHENTICATED, "access token lacks its user or device");
    }
    return { userId: payload.sub, deviceId, expiresAt: payload.exp * 1000 };
  } catch (err) {
    if (err instanceof SyncError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new SyncError(Code.UNAUTHENTICATED, "access token expired: refresh it");
    throw new SyncError(Code.UNAUTHENTICATED, "access token refused");
  }
}

/** A new refresh token for `userId` (the user id, so lookups start with it, and 32 random bytes), and its hash. */
export function newRefreshToken(userId: string): { token: string; tokenHash: string } {
  const token = `${Buffer.from(userId).toString("base64url")}.${randomBytes(32).toString("base64url")}`;
  return { token, tokenHash: hashToken(token) };
}

/** The user a refresh token names, and the hash it is stored under; undefined for garbage. */
export function readRefreshToken(token: string): { userId: string; tokenHash: string } | undefined {
  const [user, secret, extra] = token.split(".");
  if (!user || !secret || extra !== undefined || secret.length < 40 || token.length > 512) return undefined;
  return { userId: Buffer.from(user, "base64url").toString("utf8"), tokenHash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
