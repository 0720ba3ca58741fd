// The ONE place where the relay decides who a connection is: the access token in Hello, verified
// by the account service (signature, issuer, audience, expiry, type, and a device not revoked).
// The user and device come from the token alone; ids a Hello names must match it.
// Specification: docs/accounts.md
import type { Hello } from "../../schema/protocol/frames.js";
import { Code, SyncError } from "../../schema/status.js";
import type { AccountService } from "../auth/account-service.js";

export interface Principal {
  userId: string;
  deviceId: string;
  deviceName: string;
  /** When the access token stops being valid, ms since the epoch: the session then needs a new one. */
  expiresAt: number;
}

export async function authenticate(hello: Hello, accounts: AccountService): Promise<Principal> {
  if (hello.accessToken === "") {
    throw new SyncError(Code.UNAUTHENTICATED, "sign in: this relay needs an access token in hello (update the app if it cannot send one)");
  }
  const claims = await accounts.verify(hello.accessToken);
  if ((hello.userId !== "" && hello.userId !== claims.userId) || (hello.deviceId !== "" && hello.deviceId !== claims.deviceId)) {
    throw new SyncError(Code.UNAUTHENTICATED, "hello names another user or device than its access token");
  }
  return { userId: claims.userId, deviceId: claims.deviceId, deviceName: claims.deviceName, expiresAt: claims.expiresAt };
}
