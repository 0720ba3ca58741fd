// Re-renders a component whenever the device says something it shows may have changed. The
// snapshot is a counter, not device.list(): a fresh array per read would re-render forever.
// One counter per device, subscribed once, so every component sees the same number.
import { useSyncExternalStore } from "react";
import type { AppDevice } from "./device/app-device.js";

interface VersionStore {
  subscribe: (onChange: () => void) => () => void;
  read: () => number;
}

const stores = new WeakMap<AppDevice, VersionStore>();

function storeFor(device: AppDevice): VersionStore {
  const existing = stores.get(device);
  if (existing) return existing;
  let version = 0;
  const listeners = new Set<() => void>();
  // Lives as long as the device.
  device.subscribe(() => {
    version += 1;
    for (const listener of listeners) listener();
  });
  const store: VersionStore = {
    subscribe: (onChange) => {
      listeners.add(onChange);
      return () => listeners.delete(onChange);
    },
    read: () => version,
  };
  stores.set(device, store);
  return store;
}

export function useDeviceVersion(device: AppDevice): number {
  const store = storeFor(device);
  return useSyncExternalStore(store.subscribe, store.read);
}
