// A device in Node: documents and records in files, encrypted at rest with a key file beside
// them, the relay over `ws`, the relay's accounts over fetch. Used by tests, the benchmarks and
// scripts; the browser opens the same core with IndexedDB.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import WebSocket from "ws";
import { AuthApi, Code, EncryptedStorage, IronFlowClient, SyncError, webSocketTransport, type AuthSession, type ClientOptions, type Fetch } from "../core/index.js";
import { FileStorage } from "./file-storage.js";
import { nodeStorageCipher } from "./node-cipher.js";
import { storageKeyFromFile } from "./storage-key.js";

export interface NodeClientOptions extends Omit<ClientOptions, "storage" | "transport" | "auth"> {
  /** Folder holding everything this device keeps: `store/` (encrypted) and `storage.key`. */
  dataDir: string;
  /** The relay's sync endpoint, e.g. ws://127.0.0.1:8080/sync; its accounts are on the same origin. */
  relayUrl: string;
  /**
   * Sign in (or sign up: "auto" tries the sign-up and signs in when the email has an account)
   * before opening; none: the session the folder kept.
   */
  account?: { email: string; password: string; mode?: "signup" | "signin" | "auto" };
  /** How the accounts API is reached (tests count the calls); the global fetch by default. */
  fetch?: Fetch;
  /** The relay's http(s) origin for accounts, when the sync endpoint is reached another way (a proxy). */
  accountsUrl?: string;
}

export async function openNodeClient(options: NodeClientOptions): Promise<IronFlowClient> {
  const { dataDir, relayUrl, account, fetch, accountsUrl, ...rest } = options;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = await storageKeyFromFile(join(dataDir, "storage.key"));
  const storage = new EncryptedStorage(new FileStorage(join(dataDir, "store")), nodeStorageCipher(key));
  const api = new AuthApi(accountsUrl ?? httpOrigin(relayUrl), fetch);
  const session = account ? await signIn(api, account, { deviceName: rest.deviceName, deviceId: await IronFlowClient.deviceIdOf(storage) }) : undefined;
  return IronFlowClient.open({
    ...rest,
    storage,
    auth: { api, ...(session ? { session } : {}) },
    transport: webSocketTransport(relayUrl, (url) => new WebSocket(url)),
    peerTransport: (url) => webSocketTransport(url, (u) => new WebSocket(u)),
  });
}

async function signIn(api: AuthApi, account: NonNullable<NodeClientOptions["account"]>, device: { deviceName: string; deviceId: string }): Promise<AuthSession> {
  const request = { email: account.email, password: account.password, ...device };
  const mode = account.mode ?? "auto";
  if (mode === "signin") return api.signIn(request);
  try {
    return await api.signUp(request);
  } catch (err) {
    if (mode === "auto" && err instanceof SyncError && err.code === Code.ALREADY_EXISTS) return api.signIn(request);
    throw err;
  }
}

/** ws://host:port/sync → http://host:port (wss → https). */
export function httpOrigin(syncUrl: string): string {
  const url = new URL(syncUrl);
  return `${url.protocol === "wss:" ? "https:" : "http:"}//${url.host}`;
}
