// A RelayStore decorator that timestamps every call on the relay's store seam. It changes no
// behaviour; it lets the bench split an edit's latency into "before the store", "the store"
// and "after the store" without touching relay code (the relay, A and B share one clock).
import type { ChangesPage, EntityWrite, RelayStore, StoredEntity, WriteOutcome } from "../../relay/store/store.js";

export interface StoreCall {
  op: "writeBatch" | "get" | "getMany" | "changesSince";
  start: number;
  end: number;
  items: number;
}

export interface TimedStore {
  store: RelayStore;
  calls: StoreCall[];
}

/** Keeps at most `limit` calls (the first ones), so memory stays bounded. */
export function timedStore(inner: RelayStore, limit = 100_000): TimedStore {
  const calls: StoreCall[] = [];
  const record = (op: StoreCall["op"], start: number, items: number) => {
    if (calls.length < limit) calls.push({ op, start, end: performance.now(), items });
  };
  const store: RelayStore = {
    accounts: inner.accounts,
    async writeBatch(userId: string, writes: readonly EntityWrite[]): Promise<WriteOutcome[]> {
      const start = performance.now();
      try {
        return await inner.writeBatch(userId, writes);
      } finally {
        record("writeBatch", start, writes.length);
      }
    },
    async get(userId: string, entityId: string): Promise<StoredEntity | null> {
      const start = performance.now();
      try {
        return await inner.get(userId, entityId);
      } finally {
        record("get", start, 1);
      }
    },
    async getMany(userId: string, entityIds: readonly string[]): Promise<StoredEntity[]> {
      const start = performance.now();
      try {
        return await inner.getMany(userId, entityIds);
      } finally {
        record("getMany", start, entityIds.length);
      }
    },
    latestCursors: (userIds: readonly string[]) => inner.latestCursors(userIds),
    versionsSince: (userId: string, after: bigint, limit: number) => inner.versionsSince(userId, after, limit),
    async changesSince(userId: string, after: bigint, limit: number): Promise<ChangesPage> {
      const start = performance.now();
      try {
        return await inner.changesSince(userId, after, limit);
      } finally {
        record("changesSince", start, 0);
      }
    },
    pendingMigrations: () => inner.pendingMigrations(),
    close: () => inner.close(),
  };
  return { store, calls };
}
