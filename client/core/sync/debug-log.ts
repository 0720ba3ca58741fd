// The source's debug log: one JSON object per event (sync_attempt, sync_conflict, sync_success,
// sync_failed, live_apply_failed, connection_lost), with the device id, counts, versions and durations, written
// wherever the app wants (a file in Node, the console in a browser, a buffer in a test).
// Specification: docs/sync-engine.md
import type { SyncLogger } from "./sync-engine.js";

export function jsonSyncLogger(write: (line: string) => void, now: () => number = Date.now): SyncLogger {
  return {
    event: (name, fields) => write(JSON.stringify({ event: name, ...fields, timestamp: new Date(now()).toISOString() })),
  };
}
