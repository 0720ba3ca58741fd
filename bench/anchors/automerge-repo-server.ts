// The anchor: Automerge Repo's own sync server doing our job in the same run. A server Repo
// (automerge-repo-sync-server.ts: NodeFS storage in a temp folder, configured like
// automerge-repo-sync-server, so it shares only what a peer asks for) and two
// device Repos (WebSocketClientAdapter, their own NodeFS storage). Same N, K and document shape
// as our side.
//
// How "B has it" is decided, since a Repo only syncs documents it is asked for:
// - throughput: B is handed each document id (in process, a gift our B does not get: ours
//   learns ids from the relay's fan-out) and calls find(id) the moment the server holds A's
//   changes for it (the server Repo's "receive-sync-message" metric from A carrying changes,
//   then its handle ready; a find any earlier is answered "unavailable" by a server that does
//   not ask A on B's behalf). Done when every find resolved with the whole document.
// - latency: B holds a found handle; A changes its handle; B observes through the handle's
//   "change" event and checks the document.
import {
  Repo,
  generateAutomergeUrl,
  parseAutomergeUrl,
  type DocHandle,
  type DocumentId,
  type PeerId,
  type RepoEvents,
} from "@automerge/automerge-repo";
import { WebSocketClientAdapter } from "@automerge/automerge-repo-network-websocket";
import { NodeFSStorageAdapter } from "@automerge/automerge-repo-storage-nodefs";
import type { EntityDocument } from "../../schema/entities.js";
import { latencyStats } from "../report.js";
import { startAutomergeRepoSyncServer } from "./automerge-repo-sync-server.js";
import { withTimeout, type Cleanup } from "../support/bounded.js";
import { cpuClock } from "../support/cpu.js";
import { tempFolders } from "../support/temp.js";
import { EXERCISES, SETS_PER_EXERCISE, WARMUP_EDITS, addedSet, countSets, hlc, workoutDocument } from "../workload.js";
import type { ScenarioOptions, ScenarioResult } from "../scenario.js";

type Workout = EntityDocument<"workout">;
type DocMetrics = Parameters<RepoEvents["doc-metrics"]>[0];

const PEER_A = "bench-device-a" as PeerId;
const PEER_B = "bench-device-b" as PeerId;
/** A device id as long as ours (a UUID). */
const DEVICE_A = "00000000-0000-4000-8000-00000000000a";
/** Longer than Automerge Repo's 100 ms sync throttle. */
const SAVE_TIMERS_MS = 300;

export async function runAutomergeRepoServer(options: ScenarioOptions, cleanup: Cleanup): Promise<ScenarioResult> {
  const { n, k, warmup, waitMs } = options;

  // The three Repos' folders go last, a moment after shutdown(): Automerge Repo's throttled
  // sync-state saves still fire then and fail if their folder is gone.
  const folders = tempFolders(cleanup, SAVE_TIMERS_MS);

  const { repo: server, url, close } = await startAutomergeRepoSyncServer(folders.make("amrepo-server"));
  cleanup.add("anchor server", close);

  const device = async (peerId: PeerId, name: string): Promise<Repo> => {
    const repo = new Repo({ network: [new WebSocketClientAdapter(url)], storage: new NodeFSStorageAdapter(folders.make(`amrepo-${name}`)), peerId });
    cleanup.add(`anchor device ${name}`, () => repo.shutdown());
    await withTimeout(repo.networkSubsystem.whenReady(), waitMs, `anchor device ${name} connecting`);
    return repo;
  };
  const a = await device(PEER_A, "a");
  const b = await device(PEER_B, "b");

  // B finds a document as soon as the server has A's changes for it.
  interface Wanted {
    deliver(handle: DocHandle<Workout>): void;
    fail(err: Error): void;
  }
  const wanted = new Map<DocumentId, Wanted>();
  const dispatch = (documentId: DocumentId) => {
    const want = wanted.get(documentId);
    const onServer = server.handles[documentId];
    if (!want || !onServer) return;
    wanted.delete(documentId);
    const fail = (err: unknown) => want.fail(err instanceof Error ? err : new Error(String(err)));
    // The server applies a message before its handle leaves "requesting"; wait for "ready".
    onServer.whenReady().then(() => b.find<Workout>(documentId).then((handle) => want.deliver(handle), fail), fail);
  };
  const onMetrics = (event: DocMetrics) => {
    if (event.type === "receive-sync-message" && event.fromPeer === PEER_A && event.numChanges > 0) dispatch(event.documentId);
  };
  server.on("doc-metrics", onMetrics);
  cleanup.add("anchor metrics listener", () => {
    server.off("doc-metrics", onMetrics);
    return Promise.resolve();
  });

  /** Creates `count` documents on A; resolves when B holds all of them, whole. */
  const createAndReceive = async (count: number, first: number) => {
    const handles: DocHandle<Workout>[] = [];
    const onB: DocHandle<Workout>[] = [];
    let resolveAll!: (at: number) => void;
    let rejectAll!: (err: Error) => void;
    const all = new Promise<number>((resolve, reject) => {
      resolveAll = resolve;
      rejectAll = reject;
    });
    const want: Wanted = {
      deliver: (found) => {
        if (countSets(found.doc().payload) !== EXERCISES * SETS_PER_EXERCISE) {
          rejectAll(new Error(`anchor: B found ${found.documentId} incomplete`));
          return;
        }
        onB.push(found);
        if (onB.length === count) resolveAll(performance.now());
      },
      fail: (err) => rejectAll(err),
    };
    const cpu = cpuClock();
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
      const handle = a.create<Workout>(workoutDocument(first + i, id, DEVICE_A, "a", Date.now()));
      handles.push(handle);
      wanted.set(handle.documentId, want);
    }
    const created = performance.now();
    try {
      const done = await withTimeout(all, waitMs, `anchor B receiving ${count} documents`);
      return { handles, onB, start, created, done, cpuMs: cpu() };
    } finally {
      for (const handle of handles) wanted.delete(handle.documentId);
    }
  };

  // Warm-up: the same path, unmeasured.
  const warm = await createAndReceive(warmup, 0);
  const editedA = warm.handles[0]!;
  const editedB = warm.onB.find((h) => h.documentId === editedA.documentId)!;

  const bulk = await createAndReceive(n, warmup);
  const throughput = {
    items: n,
    ms: bulk.done - bulk.start,
    itemsPerSecond: (n / (bulk.done - bulk.start)) * 1000,
    localMs: bulk.created - bulk.start,
    cpuMsPerItem: bulk.cpuMs / n,
  };

  // Latency: K sequential edits of one document, each after B saw the previous one.
  let expected = countSets(editedB.doc().payload);
  let counter = 0;
  const edit = async (i: number): Promise<number> => {
    const { exercise, set } = addedSet(i);
    expected += 1;
    const target = expected;
    let onChange: (() => void) | undefined;
    const seen = new Promise<number>((resolve) => {
      onChange = () => {
        if (countSets(editedB.doc().payload) === target) resolve(performance.now());
      };
      editedB.on("change", onChange);
    });
    const start = performance.now();
    editedA.change((doc) => {
      doc.payload.exercises[exercise]!.sets.push(set);
      const now = Date.now();
      // The same metadata our entity store writes on every change.
      doc.updatedAt = now;
      doc.deviceId = DEVICE_A;
      doc.deviceName = "a";
      doc.hlc = hlc(now, ++counter, DEVICE_A);
    });
    try {
      return (await withTimeout(seen, waitMs, `anchor B seeing edit ${i}`)) - start;
    } finally {
      if (onChange) editedB.off("change", onChange);
    }
  };
  for (let i = 0; i < warmup; i++) await edit(WARMUP_EDITS + i);
  const samples: number[] = [];
  const cpu = cpuClock();
  const loopStart = performance.now();
  for (let i = 0; i < k && performance.now() - loopStart < options.editBudgetMs; i++) samples.push(await edit(i));
  const cpuMsPerEdit = cpu() / Math.max(1, samples.length);

  return { name: "automerge-repo sync server", throughput, latency: latencyStats(samples), cpuMsPerEdit };
}
