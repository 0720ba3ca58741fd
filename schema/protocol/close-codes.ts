// WebSocket close codes the relay sends. Shared with the device because the device acts on them:
// RELAY_RESTARTING means "this relay is going away on purpose, reconnect now" (to another relay
// behind the load balancer), not "the network failed, back off".
// Specification: docs/sync-protocol.md
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  /** RFC 6455's "service restart": the relay drained this connection before stopping; reconnect at once. */
  RELAY_RESTARTING: 1012,
  /** Too many connections on this relay: come back later. */
  TRY_AGAIN_LATER: 1013,
} as const;
