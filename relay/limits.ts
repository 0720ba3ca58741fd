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
  /**
   * Saved bytes (A.save) of the documents kept in memory together; past it the biggest are
   * evicted first. A loaded document takes about 23 times its saved size (a 1.9 KB workout: 19 KB
   * of JavaScript heap and 24 KB of WebAssembly memory, bench/relay-memory.ts), so 8 MiB of saved
   * bytes is about 190 MB loaded. 2,000 typical workouts (4 MB) are bounded by the count first.
   */
  documentCacheBytes: number;
  /**
   * Largest stored document (A.save bytes). Kept well under maxFrameBytes: the whole document
   * travels in pull pages and conflict answers, which must fit one frame.
   */
  maxDocumentBytes: number;
  /** A connection that sent nothing for this long is closed (devices ping every few seconds). */
  idleTimeoutMs: number;
  /**
   * Reply bytes one connection may have waiting to be sent. Past maxFrameBytes the relay stops
   * reading that connection's frames until its replies drain; past this it closes it (1008).
   */
  maxBufferedBytes: number;
  /** Open sync connections at most; one more is closed with 1013 (try again later). */
  maxConnections: number;
  /**
   * Operations one pushed item may hold, counted from its columns before Automerge loads it (run
   * lengths cost nothing to send: 3 KB held 3 million operations, +390 MB to load). A workout
   * document holds hundreds; each character typed into a text is one.
   */
  maxPushOperations: number;
  /**
   * Sync batches at work in this process at once (relay/batch-gate.ts); more wait their turn.
   * Below the store's pool size (16), so a batch at work never waits long for a connection.
   */
  concurrentBatches: number;
}

/** Bytes of documents one answer (a pull page, a sync response) carries at most: a frame, less room for its envelope. */
export function answerBudget(limits: RelayLimits): number {
  return Math.floor(limits.maxFrameBytes * 0.9);
}

/**
 * What a push may cost Automerge to load, checked from its headers and columns before the load
 * (automerge-columns.ts); past it the item is INVALID_ARGUMENT. Decoded bytes: a stored
 * document's cap with room for compression. Operations: maxPushOperations.
 */
export function pushBudget(limits: RelayLimits): { decodedBytes: number; rows: number } {
  return { decodedBytes: 16 * limits.maxDocumentBytes, rows: limits.maxPushOperations };
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  maxBatchItems: 500,
  framesPerSecond: 200,
  maxPullPage: 500,
  documentCacheSize: 2_000,
  documentCacheBytes: 8 * 1024 * 1024,
  maxDocumentBytes: 1024 * 1024,
  idleTimeoutMs: 5 * 60_000,
  maxConnections: 10_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  maxPushOperations: 250_000,
  concurrentBatches: 8,
};
