// Automerge Repo's sync server as a process of its own, for the memory bench
// (bench/relay-memory.ts), which reads its RSS from outside as it reads our relay's. Started with
// an IPC channel and the storage folder as its argument. It says {type: "ready", url} once it
// listens; asked {type: "await", count}, it answers {type: "received", count} once that many
// distinct documents have arrived carrying changes, and those whose handle is ready are stored.
import type { DocumentId, RepoEvents } from "@automerge/automerge-repo";
import { startAutomergeRepoSyncServer } from "./automerge-repo-sync-server.js";

type DocMetrics = Parameters<RepoEvents["doc-metrics"]>[0];
type Ask = { type: "await"; count: number } | { type: "stop" };

const storageDir = process.argv[2];
if (!storageDir || !process.send) throw new Error("usage: fork with an IPC channel, the storage folder as the argument");
const send = (message: object) => process.send!(message);

const server = await startAutomergeRepoSyncServer(storageDir);
const received = new Set<DocumentId>();
const waiting: { count: number; answer: () => void }[] = [];
server.repo.on("doc-metrics", (event: DocMetrics) => {
  if (event.type !== "receive-sync-message" || event.numChanges === 0) return;
  received.add(event.documentId);
  for (const w of waiting.filter((w) => received.size >= w.count)) {
    waiting.splice(waiting.indexOf(w), 1);
    w.answer();
  }
});

process.on("message", (ask: Ask) => {
  if (ask.type === "stop") {
    void server.close().then(() => process.exit(0));
    return;
  }
  // A document's message can arrive before its handle is ready, and a few handles stay
  // "requesting" (flush throws on such a handle): the ready ones are written to storage.
  const answer = () => {
    const ready = [...received].filter((id) => server.repo.handles[id]?.isReady());
    void server.repo
      .flush(ready)
      .catch(() => undefined)
      .then(() => send({ type: "received", count: received.size, ready: ready.length }));
  };
  if (received.size >= ask.count) answer();
  else waiting.push({ count: ask.count, answer });
});
send({ type: "ready", url: server.url });
