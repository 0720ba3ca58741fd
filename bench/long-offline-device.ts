// The device of bench/long-offline.ts, in its own process so its memory is its own (the relay
// runs in the parent). Offline, it makes ENTITIES workouts and EDITS edits of each, round-robin;
// told the relay is up, it catches up, sampling its memory and the progress it reports.
// Talks to the parent over the fork IPC channel; run by long-offline.ts, not by hand.
import { benchAccount } from "./support/account.js";
import { openNodeClient } from "../client/node/open-node-client.js";
import type { IronFlowClient } from "../client/core/index.js";
import { profileWindow } from "./support/cpu-profile.js";
import { addedSet, benchWorkout } from "./workload.js";

export interface DeviceArgs {
  dataDir: string;
  relayUrl: string;
  entities: number;
  edits: number;
  /**
   * offline: make the changes, then exit; catch_up: open the folder the offline process left
   * (an app started again, documents coming from storage) and catch up when told; both: one
   * process does both, the client kept open in between.
   */
  role: "offline" | "catch_up" | "both";
  /** Memory sampling period during the catch-up, ms. */
  sampleMs: number;
  /** Where to write CPU profiles of the offline phase and of the catch-up, if anywhere. */
  cpuProfDir: string | null;
}

export interface MemorySummary {
  samples: number;
  rssMb: { start: number; peak: number; end: number };
  heapUsedMb: { start: number; peak: number; end: number };
  externalMb: { peak: number };
}

export interface LocalPhase {
  kind: "local_done";
  ms: number;
  changes: number;
  createMs: { total: number; p50: number; p99: number; max: number };
  updateMs: { total: number; p50: number; p99: number; max: number };
  queueDepth: number;
  memory: MemorySummary;
  /** The process's peak resident set over its whole life (getrusage), MB. */
  lifetimeMaxRssMb: number;
}

export interface Ready {
  kind: "ready";
  /** Opening the client on the folder (the queue and records load; documents load lazily). */
  openMs: number;
  rssMb: number;
}

export interface ProgressEvent {
  atMs: number;
  done: number;
  total: number;
}

export interface CatchUp {
  kind: "caught_up";
  /** syncNow() called to the first notification with an empty queue. */
  queueEmptyMs: number;
  /** syncNow() called to resolved (the push, then the pull every manual sync ends with). */
  syncNowMs: number;
  report: { pushed: number; pulled: number; conflicts: number; errors: number };
  notifications: number;
  progressNotifications: number;
  /** Distinct progress states, in order. */
  progress: ProgressEvent[];
  memory: MemorySummary;
  /** The process's peak resident set over its whole life (getrusage), MB. */
  lifetimeMaxRssMb: number;
  cpuMs: number;
  queueDepthAfter: number;
}

export type DeviceMessage = LocalPhase | Ready | CatchUp | { kind: "failed"; message: string };
export type ParentMessage = { kind: "go" } | { kind: "exit" };

const MB = 1024 * 1024;

class MemorySampler {
  private readonly rss: number[] = [];
  private readonly heap: number[] = [];
  private externalPeak = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  start(periodMs: number): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), periodMs);
  }

  stop(): MemorySummary {
    clearInterval(this.timer);
    this.sample();
    const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;
    return {
      samples: this.rss.length,
      rssMb: { start: mb(this.rss[0]!), peak: mb(Math.max(...this.rss)), end: mb(this.rss.at(-1)!) },
      heapUsedMb: { start: mb(this.heap[0]!), peak: mb(Math.max(...this.heap)), end: mb(this.heap.at(-1)!) },
      externalMb: { peak: mb(this.externalPeak) },
    };
  }

  private sample(): void {
    const usage = process.memoryUsage();
    this.rss.push(usage.rss);
    this.heap.push(usage.heapUsed);
    this.externalPeak = Math.max(this.externalPeak, usage.external);
  }
}

function stats(values: number[]): { total: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  const round = (v: number) => Math.round(v * 100) / 100;
  return { total: round(values.reduce((a, b) => a + b, 0)), p50: round(rank(0.5)), p99: round(rank(0.99)), max: round(sorted.at(-1) ?? 0) };
}

function send(message: DeviceMessage): void {
  process.send!(message);
}

function nextMessage(): Promise<ParentMessage> {
  return new Promise((resolve) => process.once("message", (message: ParentMessage) => resolve(message)));
}

function open(args: DeviceArgs): Promise<IronFlowClient> {
  // Offline nothing syncs; once the relay is up, the bench's one syncNow() does the catch-up.
  // The first open signs in; a reopened device (the catch-up after a restart) uses the session it kept.
  const signIn = args.role === "catch_up" ? {} : { account: benchAccount("long-offline") };
  return openNodeClient({ dataDir: args.dataDir, relayUrl: args.relayUrl, ...signIn, deviceName: "long-offline", syncOnChange: false, requestTimeoutMs: 60_000 });
}

async function offline(client: IronFlowClient, args: DeviceArgs): Promise<LocalPhase> {
  const sampler = new MemorySampler();
  sampler.start(args.sampleMs);
  const started = performance.now();
  const ids: string[] = [];
  const createMs: number[] = [];
  for (let i = 0; i < args.entities; i++) {
    const t = performance.now();
    ids.push(await client.create("workout", benchWorkout(i)));
    createMs.push(performance.now() - t);
  }
  const updateMs: number[] = [];
  for (let round = 0; round < args.edits; round++) {
    for (const [i, id] of ids.entries()) {
      const { exercise, set } = addedSet(round * args.entities + i);
      const t = performance.now();
      await client.update<"workout">(id, (w) => {
        w.exercises[exercise]!.sets.push(set);
      });
      updateMs.push(performance.now() - t);
    }
  }
  const ms = performance.now() - started;
  return {
    kind: "local_done",
    ms: Math.round(ms),
    changes: createMs.length + updateMs.length,
    createMs: stats(createMs),
    updateMs: stats(updateMs),
    queueDepth: client.status().queueDepth,
    memory: sampler.stop(),
    lifetimeMaxRssMb: maxRssMb(),
  };
}

function maxRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function catchUp(client: IronFlowClient, args: DeviceArgs): Promise<CatchUp> {
  const progress: ProgressEvent[] = [];
  let notifications = 0;
  let progressNotifications = 0;
  let queueEmptyAt: number | undefined;
  const sampler = new MemorySampler();
  const cpu = process.cpuUsage();
  sampler.start(args.sampleMs);
  const started = performance.now();
  const unsubscribe = client.subscribe(() => {
    notifications += 1;
    const status = client.status();
    const at = performance.now() - started;
    if (status.progress) {
      progressNotifications += 1;
      const last = progress.at(-1);
      if (!last || last.done !== status.progress.done || last.total !== status.progress.total) {
        progress.push({ atMs: Math.round(at), done: status.progress.done, total: status.progress.total });
      }
    }
    if (queueEmptyAt === undefined && status.queueDepth === 0) queueEmptyAt = at;
  });
  const report = await client.syncNow();
  const syncNowMs = performance.now() - started;
  unsubscribe();
  const memory = sampler.stop();
  const used = process.cpuUsage(cpu);
  return {
    kind: "caught_up",
    queueEmptyMs: Math.round(queueEmptyAt ?? syncNowMs),
    syncNowMs: Math.round(syncNowMs),
    report: { pushed: report.pushed, pulled: report.pulled, conflicts: report.conflicts, errors: report.errors },
    notifications,
    progressNotifications,
    progress,
    memory,
    lifetimeMaxRssMb: maxRssMb(),
    cpuMs: Math.round((used.user + used.system) / 1000),
    queueDepthAfter: client.status().queueDepth,
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as DeviceArgs;
  let opened = performance.now();
  const client = await open(args);
  if (args.role !== "catch_up") {
    const profile = args.cpuProfDir ? await profileWindow(args.cpuProfDir, "device-offline") : undefined;
    const phase = await offline(client, args);
    await profile?.stop();
    send(phase);
    if (args.role === "offline") {
      await client.close();
      return;
    }
    opened = performance.now();
  }
  send({ kind: "ready", openMs: Math.round(performance.now() - opened), rssMb: Math.round(process.memoryUsage.rss() / (1024 * 1024)) });
  if ((await nextMessage()).kind !== "go") return;
  const profile = args.cpuProfDir ? await profileWindow(args.cpuProfDir, "device-catch-up") : undefined;
  const caught = await catchUp(client, args);
  await profile?.stop();
  send(caught);
  await nextMessage();
  await client.close();
}

main().then(
  () => process.disconnect(),
  (err: unknown) => {
    send({ kind: "failed", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.disconnect();
    process.exitCode = 1;
  },
);
