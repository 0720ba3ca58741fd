// Automerge Repo's own sync server, configured like automerge-repo-sync-server: a server Repo
// (NodeWSServerAdapter over a `ws` server on 127.0.0.1:0, NodeFS storage in the given folder)
// that shares only what a peer asks for. Used in process by the throughput anchor and as a
// process of its own by the memory bench (automerge-repo-server-process.ts).
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Repo, type PeerId } from "@automerge/automerge-repo";
import { NodeWSServerAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import { WebSocketServer } from "ws";

export const SERVER_PEER = "bench-sync-server" as PeerId;

export interface AutomergeRepoSyncServer {
  repo: Repo;
  url: string;
  close: () => Promise<void>;
}

export async function startAutomergeRepoSyncServer(storageDir: string): Promise<AutomergeRepoSyncServer> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  const repo = new Repo({
    network: [new NodeWSServerAdapter(wss as unknown as ConstructorParameters<typeof NodeWSServerAdapter>[0])],
    storage: new NodeFSStorageAdapter(storageDir),
    peerId: SERVER_PEER,
    sharePolicy: () => Promise.resolve(false),
  });
  const close = async () => {
    await repo.shutdown().catch(() => undefined);
    for (const socket of wss.clients) socket.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  // Its storage id is loaded before the port listens: a Repo with storage silently ignores
  // sockets that arrive earlier.
  await repo.storageId();
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return { repo, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`, close };
}
