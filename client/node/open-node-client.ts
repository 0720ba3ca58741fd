// A device in Node: documents and records in files, the relay over `ws`. Used by tests, the
// benchmark and scripts; the browser opens the same core with IndexedDB.
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import WebSocket from "ws";
import { IronFlowClient, webSocketTransport, type ClientOptions, type WebSocketLike } from "../core/index.js";

export interface NodeClientOptions extends Omit<ClientOptions, "storage" | "transport"> {
  /** Folder holding everything this device keeps. */
  dataDir: string;
  /** The relay's sync endpoint, e.g. ws://127.0.0.1:8080/sync */
  relayUrl: string;
}

export function openNodeClient(options: NodeClientOptions): Promise<IronFlowClient> {
  const { dataDir, relayUrl, ...rest } = options;
  return IronFlowClient.open({
    ...rest,
    storage: new NodeFSStorageAdapter(dataDir),
    transport: webSocketTransport(relayUrl, (url) => new WebSocket(url) as unknown as WebSocketLike),
  });
}
