// The long-offline anchor: Automerge Repo's own sync server catching up the same changes as
// ours. A device Repo (NodeFS storage in a temp folder, no network) makes ENTITIES workouts of
// the same shape (workload.ts) and EDITS added sets of each, round-robin, as our offline device
// does, and writes them to its storage; it shuts down (the app closed). Then Automerge Repo's
// sync server starts (automerge-repo-sync-server.ts, the edit bench's anchor server) and a new
// device Repo opens the same folder with the WebSocket client adapter (the app started again and
// connected, as our device is opened before its catch-up). Timed from there: the device finds its
// documents (loading each from storage, as ours loads them while it pushes) and syncs them; done
// when the server holds every document at the device's heads (checked on the server's handles).
// Everything here runs in the bench's process, after our side has finished.
import {
  Repo,
  generateAutomergeUrl,
  parseAutomergeUrl,
  type AutomergeUrl,
  type DocHandle,
  type DocumentId,
  type PeerId,
  type RepoEvents,
} from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import type { EntityDocument } from "../../schema/entities.js";
import { withTimeout, type Cleanup } from "../support/bounded.js";
import { cpuClock } from "../support/cpu.js";
import { tempFolders } from "../support/temp.js";
import { addedSet, hlc, workoutDocument } from "../workload.js";
import { startAutomergeRepoSyncServer } from "./automerge-repo-sync-server.js";

type Workout = EntityDocument<"workout">;
type DocMetrics = Parameters<RepoEvents["doc-metrics"]>[0];

const DEVICE_ID = "00000000-0000-4000-8000-0000000000ff";
/** Longer than Automerge Repo's 100 ms sync throttle. */
const SAVE_TIMERS_MS = 300;

export interface AnchorCatchUp {
  entities: number;
  changes: number;
  /** Making the changes offline (Automerge Repo handles, storage flushed). */
  offlineMs: number;
  /** The device Repo opened on the folder and connected to the server, before the timer. */
  openMs: number;
  /** find() of every document, until the server holds each at the device's heads. */
  catchUpMs: number;
  /** This process's CPU over the catch-up (device and server: both run here). */
  cpuMs: number;
  documentsAtHeads: number;
}

const headsKey = (heads: readonly string[]) => [...heads].sort().join(",");

export async function runAutomergeRepoCatchUp(entities: number, edits: number, waitMs: number, cleanup: Cleanup): Promise<AnchorCatchUp> {
  const folders = tempFolders(cleanup, SAVE_TIMERS_MS);
  const deviceDir = folders.make("long-offline-anchor-device");

  // Offline: the same workouts and the same added sets as our device makes.
  const offlineStart = performance.now();
  const offline = new Repo({ network: [], storage: new NodeFSStorageAdapter(deviceDir), peerId: "long-offline-anchor-offline" as PeerId });
  const handles: DocHandle<Workout>[] = [];
  const now = Date.now();
  for (let i = 0; i < entities; i++) {
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    handles.push(offline.create<Workout>(workoutDocument(i, id, DEVICE_ID, "long-offline", now)));
  }
  let counter = 0;
  for (let round = 0; round < edits; round++) {
    for (const [i, handle] of handles.entries()) {
      const { exercise, set } = addedSet(round * entities + i);
      handle.change((d) => {
        d.payload.exercises[exercise]!.sets.push(set);
        const at = Date.now();
        d.updatedAt = at;
        d.hlc = hlc(at, ++counter, DEVICE_ID);
      });
    }
  }
  const expected = new Map<DocumentId, string>(handles.map((h) => [h.documentId, headsKey(h.heads())]));
  const urls: AutomergeUrl[] = handles.map((h) => h.url);
  await offline.flush();
  await offline.shutdown();
  const offlineMs = performance.now() - offlineStart;

  const { repo: server, url, close } = await startAutomergeRepoSyncServer(folders.make("long-offline-anchor-server"));
  cleanup.add("anchor server", close);

  // The server's side of "caught up": each expected document's handle ready at the device's heads.
  const atHeads = new Set<DocumentId>();
  const watched = new Set<DocumentId>();
  let allThere!: () => void;
  const everyDocument = new Promise<void>((resolve) => (allThere = resolve));
  const check = (handle: DocHandle<Workout>) => {
    if (atHeads.has(handle.documentId) || !handle.isReady()) return;
    if (headsKey(handle.heads()) !== expected.get(handle.documentId)) return;
    atHeads.add(handle.documentId);
    if (atHeads.size === expected.size) allThere();
  };
  const onMetrics = (event: DocMetrics) => {
    if (event.type !== "receive-sync-message" || watched.has(event.documentId) || !expected.has(event.documentId)) return;
    const handle = server.handles[event.documentId] as DocHandle<Workout> | undefined;
    if (!handle) return;
    // The metric fires before the message's changes are in the handle: check on its events.
    watched.add(event.documentId);
    handle.on("heads-changed", () => check(handle));
    void handle.whenReady().then(() => check(handle), () => undefined);
  };
  server.on("doc-metrics", onMetrics);
  cleanup.add("anchor metrics listener", () => {
    server.off("doc-metrics", onMetrics);
    return Promise.resolve();
  });

  const openStart = performance.now();
  const device = new Repo({ network: [new WebSocketClientAdapter(url)], storage: new NodeFSStorageAdapter(deviceDir), peerId: "long-offline-anchor-device" as PeerId });
  cleanup.add("anchor device", () => device.shutdown());
  await withTimeout(device.networkSubsystem.whenReady(), waitMs, "the anchor device connecting");
  const openMs = performance.now() - openStart;

  const cpu = cpuClock();
  const start = performance.now();
  await withTimeout(Promise.all(urls.map((u) => device.find<Workout>(u))), waitMs, "the anchor device finding its documents");
  await withTimeout(everyDocument, waitMs, `the anchor server holding all ${entities} documents at the device's heads (${atHeads.size} so far)`);
  const catchUpMs = performance.now() - start;
  return { entities, changes: entities * (1 + edits), offlineMs: Math.round(offlineMs), openMs: Math.round(openMs), catchUpMs: Math.round(catchUpMs), cpuMs: Math.round(cpu()), documentsAtHeads: atHeads.size };
}
