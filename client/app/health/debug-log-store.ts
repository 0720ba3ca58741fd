// The device's recent sync log, kept in IndexedDB so it outlives a reload and every tab can read
// it (the tab that holds the device store writes it): the last MAX_ENTRIES events the sync engine
// logged (sync_attempt, sync_conflict, sync_success, sync_failed, ...), for the Sync health screen
// and for a bug report. The events hold ids, counts, codes and durations, never a workout's
// contents.
// Specification: docs/observability.md
import type { SyncLogger } from "../../core/index.js";

export const MAX_ENTRIES = 300;
const DB_VERSION = 1;
const STORE = "events";

export interface LogEntry {
  seq: number;
  event: string;
  timestamp: string;
  [field: string]: unknown;
}

function databaseName(userId: string): string {
  return `ironflow-sync-log-${userId}`;
}

function openDatabase(userId: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName(userId), DB_VERSION);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("cannot open the sync log"));
  });
}

/** Settles on the transaction's end, not the request's: a write is kept only once it completes. */
function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error("sync log write aborted"));
    tx.onerror = () => reject(tx.error ?? new Error("sync log write failed"));
  });
}

export class DebugLogStore {
  /** Writes in the order they were logged, one after another. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly db: Promise<IDBDatabase>) {}

  static forUser(userId: string): DebugLogStore {
    const db = openDatabase(userId);
    db.catch(() => undefined); // a log that cannot open stays empty; the app works on
    return new DebugLogStore(db);
  }

  /** The sync engine's logger: each event appended here (and nowhere else). */
  logger(now: () => number = Date.now): SyncLogger {
    return { event: (event, fields) => this.append({ event, ...fields, timestamp: new Date(now()).toISOString() }) };
  }

  append(entry: Omit<LogEntry, "seq">): void {
    this.writing = this.writing
      .then(async () => {
        const db = await this.db;
        const tx = db.transaction(STORE, "readwrite");
        const store = tx.objectStore(STORE);
        store.add(entry);
        const count = store.count();
        count.onsuccess = () => {
          let excess = count.result - MAX_ENTRIES;
          if (excess <= 0) return;
          const cursor = store.openCursor();
          cursor.onsuccess = () => {
            const at = cursor.result;
            if (!at || excess <= 0) return;
            at.delete();
            excess -= 1;
            at.continue();
          };
        };
        await done(tx);
      })
      .catch(() => undefined); // losing a debug line must never break a sync
  }

  /** The newest `limit` entries, oldest first. */
  async recent(limit = MAX_ENTRIES): Promise<LogEntry[]> {
    await this.writing;
    const db = await this.db;
    const tx = db.transaction(STORE, "readonly");
    const request = tx.objectStore(STORE).getAll();
    await done(tx);
    const all = request.result as LogEntry[];
    return all.slice(-limit);
  }
}
