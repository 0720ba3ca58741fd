// Every request is checked against the session's principal: a device pushes only as itself,
// for its own user.
// Specification: docs/relay.md
import { Code, SyncError } from "../../schema/status.js";
import type { SyncRequest } from "../../schema/protocol/frames.js";
import type { Principal } from "./authenticate.js";

export function authorizeSync(principal: Principal, request: SyncRequest): void {
  if (request.userId !== principal.userId) {
    throw new SyncError(Code.PERMISSION_DENIED, "sync request names another user than the session's");
  }
  if (request.deviceId !== principal.deviceId) {
    throw new SyncError(Code.PERMISSION_DENIED, "sync request names another device than the session's");
  }
}
