// Every request is checked against the session's principal: a device pushes only as itself,
// for its own user.
// Specification: docs/relay.md
import { Code, SyncError } from "../../schema/status.js";
import type { SyncRequest } from "../../schema/protocol/frames.js";
import type { Principal } from "./authenticate.js";

/** The user and device come from the session's token; a request that names others is refused. */
export function authorizeSync(principal: Principal, request: SyncRequest): void {
  if (request.userId !== "" && request.userId !== principal.userId) {
    throw new SyncError(Code.PERMISSION_DENIED, "sync request names another user than the session's");
  }
  if (request.deviceId !== "" && request.deviceId !== principal.deviceId) {
    throw new SyncError(Code.PERMISSION_DENIED, "sync request names another device than the session's");
  }
}
