// Status codes of the sync protocol (gRPC's numbering). Who sends each, and what the receiver
// does with it. The wire enum is `Code` in protocol/sync_pb.ts; this is its contract.
// Specification: docs/sync-protocol.md
import { Code } from "./protocol/sync_pb.js";

export { Code };

export const STATUS_CONTRACT: Readonly<Record<Code, string>> = {
  [Code.OK]: "Item stored. The device records the server version and the heads it pushed.",
  [Code.INVALID_ARGUMENT]:
    "Relay: the frame, the item or the resulting document is malformed or fails validation. " +
    "Device: keep the change, flag it for review, do not retry it in a loop.",
  [Code.NOT_FOUND]: "Not sent by the relay today (an unknown entity's first push is a create).",
  [Code.ALREADY_EXISTS]: "Relay (accounts): the email already has an account. Device: sign in instead.",
  [Code.PERMISSION_DENIED]:
    "Relay: the item belongs to another user, or the type is server authoritative. Device: flag, do not retry.",
  [Code.RESOURCE_EXHAUSTED]:
    "Relay: frame, batch or rate limit exceeded. Device: keep the item pending and retry it on its schedule.",
  [Code.FAILED_PRECONDITION]:
    "Relay: the item's base version is newer than the relay's (a version from the future), or a " +
    "second hello. Device: flag the item for review (the relay lost data or is behind its database).",
  [Code.ABORTED]:
    "Relay: version conflict; the result carries the server's document and version. Device: conflict flow.",
  [Code.UNIMPLEMENTED]: "Relay: unknown frame kind or protocol version. Device: upgrade.",
  [Code.INTERNAL]: "Relay: a bug or an unexpected store error. Device: retry on schedule.",
  [Code.UNAVAILABLE]: "Relay: the store is unreachable. Device: keep the item pending and retry it on its schedule.",
  [Code.UNAUTHENTICATED]: "Relay: no Hello yet, or bad credentials. Device: authenticate again, then retry.",
};

/** Codes after which the same item, sent again unchanged, may succeed. */
export function isRetryable(code: Code): boolean {
  return code === Code.UNAVAILABLE || code === Code.INTERNAL || code === Code.RESOURCE_EXHAUSTED;
}

export function codeName(code: Code): string {
  // Protobuf enums are open: a code from the wire may be one this build does not name.
  const names: Readonly<Record<number, string | undefined>> = Code;
  return names[code] ?? `CODE_${code}`;
}

/** An error with a protocol status code: the one error type that crosses the protocol. */
export class SyncError extends Error {
  override readonly name = "SyncError";
  constructor(
    readonly code: Code,
    /** What happened, without the code: what goes on the wire. */
    readonly detail: string,
    readonly retryAfterMs = 0,
  ) {
    super(`${codeName(code)}: ${detail}`);
  }
}
