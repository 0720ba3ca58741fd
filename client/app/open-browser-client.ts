// The browser device: documents and records in IndexedDB, encrypted at rest where the page is a
// secure context, the relay over the page's own origin. The Node twin is
// client/node/open-node-client.ts.
import { AuthApi, EncryptedStorage, IndexedDbStorage, IronFlowClient, webSocketTransport, type AuthSession } from "../core/index.js";

import { browserStorageKey, canEncrypt } from "./device-key.js";
import type { DeviceSettings } from "./device-settings.js";
import { DebugLogStore } from "./health/debug-log-store.js";

/** The relay serves this app and its sync endpoint on one port: ws(s)://<host>/sync. */
export function relaySyncUrl(location: Pick<Location, "protocol" | "host">): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/sync`;
}

/** The person's device store; `session` from a sign-in just made (none: the one the store kept). */
export async function openBrowserClient(settings: DeviceSettings, session?: AuthSession): Promise<IronFlowClient> {
  const name = `ironflow-device-${settings.userId}`;
  const plain = new IndexedDbStorage(name);
  const client = await IronFlowClient.open({
    storage: canEncrypt() ? new EncryptedStorage(plain, await browserStorageKey(name)) : plain,
    transport: webSocketTransport(relaySyncUrl(window.location), (url) => new WebSocket(url)),
    auth: { api: new AuthApi(window.location.origin), ...(session ? { session } : {}) },
    deviceName: settings.deviceName,
    // The sync engine's debug events, kept for the Sync health screen and bug reports.
    log: DebugLogStore.forUser(settings.userId).logger(),
    // A LAN peer over the browser's WebSocket (a browser has no mDNS or raw sockets: the person
    // gives the peer's address in its invite, and the device remembers it).
    peerTransport: (url) => webSocketTransport(url, (u) => new WebSocket(u)),
  });
  // Peers paired in an earlier session link again by themselves; a failure is each link's state.
  void client.linkKnownPeers().catch(() => undefined);
  return client;
}
