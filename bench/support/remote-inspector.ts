// Another process's V8 inspector (started with --inspect), asked from the bench: a full GC, the
// process's own memory figures, a heap snapshot. Nothing is added to the process measured.
import { createWriteStream } from "node:fs";
import WebSocket from "ws";
import { withTimeout } from "./bounded.js";

/** process.memoryUsage() of the inspected process, in bytes. */
export interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface Reply {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

/** One inspector session: opened, used for one job, closed. */
async function withInspector<T>(url: string, job: (call: (method: string, params?: object) => Promise<Record<string, unknown>>, onEvent: (listener: (m: Reply) => void) => void) => Promise<T>): Promise<T> {
  const socket = new WebSocket(url, { maxPayload: 256 * 2 ** 20 });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  let next = 1;
  const waiting = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  const listeners: ((m: Reply) => void)[] = [];
  socket.on("message", (data: Buffer) => {
    const message = JSON.parse(data.toString()) as Reply;
    if (message.id !== undefined) {
      const waiter = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result ?? {});
    } else {
      for (const listener of listeners) listener(message);
    }
  });
  const call = (method: string, params: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    return await job(call, (listener) => listeners.push(listener));
  } finally {
    socket.close();
  }
}

/**
 * A full garbage collection (HeapProfiler.collectGarbage): plain RSS also counts garbage V8 has
 * not collected yet, which comes and goes with its heuristics.
 */
export function collectGarbage(url: string): Promise<void> {
  return withInspector(url, async (call) => {
    await withTimeout(call("HeapProfiler.collectGarbage"), 120_000, "a full GC");
  });
}

/** The inspected process's process.memoryUsage(). */
export function memoryUsage(url: string): Promise<MemoryUsage> {
  return withInspector(url, async (call) => {
    const { result } = (await withTimeout(call("Runtime.evaluate", { expression: "JSON.stringify(process.memoryUsage())", returnByValue: true }), 60_000, "memoryUsage")) as {
      result: { value: string };
    };
    return JSON.parse(result.value) as MemoryUsage;
  });
}

/** Writes a V8 heap snapshot of the inspected process (the .heapsnapshot DevTools opens) to `path`. */
export function writeHeapSnapshot(url: string, path: string): Promise<void> {
  return withInspector(url, async (call, onEvent) => {
    const out = createWriteStream(path);
    onEvent((m) => {
      if (m.method === "HeapProfiler.addHeapSnapshotChunk") out.write((m.params as { chunk: string }).chunk);
    });
    await withTimeout(call("HeapProfiler.takeHeapSnapshot", { reportProgress: false }), 600_000, "a heap snapshot");
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  });
}
