// Limits the relay enforces at its edge. Announced to devices in Welcome so they size batches.
// Specification: docs/sync-protocol.md
export interface RelayLimits {
  /** Largest frame the relay decodes; a larger one is answered RESOURCE_EXHAUSTED. */
  maxFrameBytes: number;
  maxBatchItems: number;
  /** Frames per second per connection, as a token bucket of this size refilled each second. */
  framesPerSecond: number;
  /** Entities returned by one pull page at most. */
  maxPullPage: number;
  /** Automerge documents kept in memory, across all users. */
  documentCacheSize: number;
  /** A connection that sent nothing for this long is closed (devices ping every few seconds). */
  idleTimeoutMs: number;
  /** Open sync connections at most; one more is closed with 1013 (try again later). */
  maxConnections: number;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxBatchItems: 500,
  framesPerSecond: 200,
  maxPullPage: 500,
  documentCacheSize: 2_000,
  idleTimeoutMs: 5 * 60_000,
  maxConnections: 10_000,
};
