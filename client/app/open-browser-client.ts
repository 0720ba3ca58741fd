// The browser device: documents and records in IndexedDB, the relay over the page's own origin.
// The Node twin is client/node/open-node-client.ts.
import { IndexedDBStorageAdapter } from "@automerge/automerge-repo-storage-indexeddb";
import { IronFlowClient, webSocketTransport } from "../core/index.js";
import type { DeviceSettings } from "./device-settings.js";

/** The relay serves this app and its sync endpoint on one port: ws(s)://<host>/sync. */
export function relaySyncUrl(location: Pick<Location, "protocol" | "host">): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/sync`;
}

export function openBrowserClient(settings: DeviceSettings): Promise<IronFlowClient> {
  return IronFlowClient.open({
    storage: new IndexedDBStorageAdapter(`ironflow-${settings.userId}`),
    transport: webSocketTransport(relaySyncUrl(window.location), (url) => new WebSocket(url)),
    userId: settings.userId,
    deviceName: settings.deviceName,
  });
}
