// Re-renders a component whenever the client says something it shows may have changed. The
// snapshot is a counter, not client.list(): a fresh array per read would re-render forever.
// One counter per client, subscribed once, so every component sees the same number.
import { useSyncExternalStore } from "react";
import type { IronFlowClient } from "../core/index.js";

interface VersionStore {
  subscribe(onChange: () => void): () => void;
  read(): number;
}

const stores = new WeakMap<IronFlowClient, VersionStore>();

function storeFor(client: IronFlowClient): VersionStore {
  const existing = stores.get(client);
  if (existing) return existing;
  let version = 0;
  const listeners = new Set<() => void>();
  // Lives as long as the client: close() drops its listeners.
  client.subscribe(() => {
    version += 1;
    for (const listener of listeners) listener();
  });
  const store: VersionStore = {
    subscribe(onChange) {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    read: () => version,
  };
  stores.set(client, store);
  return store;
}

export function useClientVersion(client: IronFlowClient): number {
  const store = storeFor(client);
  return useSyncExternalStore(store.subscribe, store.read);
}
