// A device in Node: documents and records in files, encrypted at rest with a key file beside
// them, and the relay over `ws`. Used by tests, the benchmarks and scripts; the browser opens the
// same core with IndexedDB.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import WebSocket from "ws";
import { EncryptedStorage, IronFlowClient, webSocketTransport, type ClientOptions } from "../core/index.js";
import { storageKeyFromFile } from "./storage-key.js";

export interface NodeClientOptions extends Omit<ClientOptions, "storage" | "transport"> {
  /** Folder holding everything this device keeps: `store/` (encrypted) and `storage.key`. */
  dataDir: string;
  /** The relay's sync endpoint, e.g. ws://127.0.0.1:8080/sync */
  relayUrl: string;
}

export async function openNodeClient(options: NodeClientOptions): Promise<IronFlowClient> {
  const { dataDir, relayUrl, ...rest } = options;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = await storageKeyFromFile(join(dataDir, "storage.key"));
  return IronFlowClient.open({
    ...rest,
    storage: new EncryptedStorage(new NodeFSStorageAdapter(join(dataDir, "store")), key),
    transport: webSocketTransport(relayUrl, (url) => new WebSocket(url)),
  });
}
