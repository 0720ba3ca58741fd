// Re-renders a component whenever the client says something it shows may have changed. The
// snapshot is a counter, not client.list(): a fresh array per read would re-render forever.
import { useSyncExternalStore } from "react";
import type { IronFlowClient } from "../core/index.js";

const versions = new WeakMap<IronFlowClient, { value: number }>();

export function useClientVersion(client: IronFlowClient): number {
  let version = versions.get(client);
  if (!version) {
    version = { value: 0 };
    versions.set(client, version);
  }
  const counter = version;
  return useSyncExternalStore(
    (onChange) =>
      client.subscribe(() => {
        counter.value += 1;
        onChange();
      }),
    () => counter.value,
  );
}
