// Long offline: one device, offline, makes 5,000 queued changes over 500 workouts (each created,
// then edited 9 times, round-robin); then the relay becomes reachable and the device catches up
// with one "sync now". DESIGN.md's target: caught up in <= 3 s, device peak memory <= 300 MB.
//
// The device runs in a child process (long-offline-device.ts) so its memory is measured apart
// from the relay's; the relay runs here (startRelay on the machine's Postgres, a fresh schema
// dropped at the end), started on a reserved port only once the offline phase is done.
// The anchor, in the same run once ours is done and closed: Automerge Repo's own sync server
// catching up the same changes over the same workouts from a device Repo reopened on its storage
// (anchors/automerge-repo-catch-up.ts); the ratio is our catch-up over its. Beside the relay's
// CPU, Automerge's own work in it (anchors/automerge-floor.ts): one A.load of each document the
// relay stored, which a relay validating every push cannot skip.
// Measures only, never passes or fails on time. `npx tsx bench/long-offline.ts`; prints a table
// and writes bench/results/long-offline.json.
//
// Knobs: LONG_OFFLINE_ENTITIES (500), LONG_OFFLINE_EDITS (9, per entity), LONG_OFFLINE_RESTART
// (1: the offline changes are made by one device process and the catch-up is done by a new one
// on the same folder, as after an app restart, documents coming from storage; 0: the process
// that made the changes catches up, client kept open), LONG_OFFLINE_SAMPLE_MS (50),
// LONG_OFFLINE_CPU_PROF=<dir> (CPU profiles of the device's offline phase and catch-up, and of
// the relay during the catch-up, as .cpuprofile files there), LONG_OFFLINE_ANCHOR (1; 0 skips the
// anchor), LONG_OFFLINE_TSX (1: the device process runs through tsx's loader instead of
// bundled), DATABASE_URL.
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { freePort } from "../test/support/ports.js";
import { command, type Command } from "../test/property/bundles.js";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startRelay, type Relay } from "../relay/server.js";
import { BENCH_AUTH } from "./support/account.js";
import { openStore } from "../relay/store/index.js";
import type { CatchUp, DeviceArgs, DeviceMessage, LocalPhase, ParentMessage, Ready } from "./long-offline-device.js";
import { Cleanup, withTimeout } from "./support/bounded.js";
import { profileWindow } from "./support/cpu-profile.js";
import { cpuClock } from "./support/cpu.js";
import { threadCpuClock, type ThreadCpu } from "./support/proc-cpu.js";
import { createBenchSchema, databaseUrl, serverFacts, withAdmin } from "./support/postgres.js";
import { fmtRatio, table } from "./report.js";
import { measureAutomergeLoadFloor, type AutomergeLoadFloor } from "./anchors/automerge-floor.js";
import { runAutomergeRepoCatchUp, type AnchorCatchUp } from "./anchors/automerge-repo-catch-up.js";
import { EXERCISES, SETS_PER_EXERCISE } from "./workload.js";
import { envInt } from "./support/env.js";

const here = dirname(fileURLToPath(import.meta.url));
const TARGET_MS = 3_000;
const TARGET_MB = 300;



/** The device process and a typed view of its messages. */
class DeviceProcess {
  private readonly inbox: DeviceMessage[] = [];
  private waiter: (() => void) | undefined;
  private exitCode: number | null | undefined;
  readonly exited: Promise<void>;

  constructor(private readonly child: ChildProcess) {
    child.on("message", (message: DeviceMessage) => {
      this.inbox.push(message);
      this.waiter?.();
    });
    this.exited = new Promise((resolve) =>
      child.once("exit", (code) => {
        this.exitCode = code;
        this.waiter?.();
        resolve();
      }),
    );
  }

  async next<K extends DeviceMessage["kind"]>(kind: K): Promise<Extract<DeviceMessage, { kind: K }>> {
    for (;;) {
      const message = this.inbox.shift();
      if (message?.kind === "failed") throw new Error(`device process failed: ${message.message}`);
      if (message?.kind === kind) return message as Extract<DeviceMessage, { kind: K }>;
      if (message) throw new Error(`device process: expected ${kind}, got ${message.kind}`);
      if (this.exitCode !== undefined) throw new Error(`device process exited (code ${this.exitCode}) before ${kind}`);
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  send(message: ParentMessage): void {
    if (this.child.connected) this.child.send(message);
  }

  kill(): void {
    if (this.exitCode === undefined) this.child.kill("SIGKILL");
  }
}

async function main(): Promise<void> {
  const entities = envInt("LONG_OFFLINE_ENTITIES", 500);
  const edits = envInt("LONG_OFFLINE_EDITS", 9, 0);
  const restart = envInt("LONG_OFFLINE_RESTART", 1, 0) === 1;
  const sampleMs = envInt("LONG_OFFLINE_SAMPLE_MS", 50);
  const cpuProfDir = process.env["LONG_OFFLINE_CPU_PROF"];
  const withAnchor = envInt("LONG_OFFLINE_ANCHOR", 1, 0) === 1;
  const cleanup = new Cleanup();
  const anchorCleanup = new Cleanup();
  const load = { start: loadavg()[0]!, end: 0 };
  const pg = await serverFacts();
  try {
    const schema = await createBenchSchema();
    cleanup.add("bench schema", () => schema.drop());
    const dataDir = mkdtempSync(join(tmpdir(), "ironflow-bench-long-offline-"));
    cleanup.add("device folder", () => {
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      return Promise.resolve();
    });
    const port = await freePort();

    if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
    const args: Omit<DeviceArgs, "role"> = { dataDir, relayUrl: `ws://127.0.0.1:${port}/sync`, entities, edits, sampleMs, cpuProfDir: cpuProfDir ?? null };
    // The device runs as built code, as an app would: through tsx's loader the process held about
    // 65 MB more before doing anything (146 MB RSS at open, not 79), the loader's, not the device's.
    const deviceCommand: Command =
      process.env["LONG_OFFLINE_TSX"] === "1" ? { script: join(here, "long-offline-device.ts"), execArgv: ["--import", "tsx"] } : await command("bench/long-offline-device.ts");
    const spawnDevice = (role: DeviceArgs["role"]): DeviceProcess => {
      const device = new DeviceProcess(fork(deviceCommand.script, [JSON.stringify({ ...args, role })], { execArgv: deviceCommand.execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] }));
      cleanup.add(`device process (${role})`, async () => {
        device.send({ kind: "exit" });
        await withTimeout(device.exited, 20_000, "the device process to exit").catch(() => device.kill());
      });
      return device;
    };

    // The relay runs from the start so the device can sign in; it syncs only when told to ("go").
    const store = await openStore({ databaseUrl, pg: { searchPath: schema.name } });
    let relay: Relay;
    try {
      relay = await startRelay({ store, port, auth: BENCH_AUTH });
    } catch (err) {
      await store.close();
      throw err;
    }
    cleanup.add("relay", () => relay.close());

    process.stdout.write(`long offline: ${entities} workouts x ${1 + edits} changes, offline...\n`);
    let device = spawnDevice(restart ? "offline" : "both");
    const local: LocalPhase = await withTimeout(device.next("local_done"), 30 * 60_000, "the offline changes");
    process.stdout.write(`  ${local.changes} changes saved in ${(local.ms / 1000).toFixed(1)} s; relay starting\n`);
    if (restart) {
      await withTimeout(device.exited, 60_000, "the offline device process to exit");
      device = spawnDevice("catch_up");
    }
    const ready: Ready = await withTimeout(device.next("ready"), 120_000, "the device to open");

    const relayProfile = cpuProfDir ? await profileWindow(cpuProfDir, "relay-catch-up") : undefined;
    // The relay runs in this process: its CPU over the catch-up (the device's is its own process's).
    const relayCpu = cpuClock();
    const relayThreads = threadCpuClock();
    device.send({ kind: "go" });
    const caught: CatchUp = await withTimeout(device.next("caught_up"), 10 * 60_000, "the catch-up");
    const relayCpuMs = Math.round(relayCpu());
    const relayThreadsMs = relayThreads() ?? null;
    if (relayProfile) process.stdout.write(`  profiles in ${cpuProfDir} (relay: ${await relayProfile.stop()})\n`);
    const check = await relayCheck(schema.name, entities, edits);
    // Before the anchor, in this process (the relay's), on what the relay stored of each push.
    const automergeFloor = measureAutomergeLoadFloor(await storedDocuments(schema.name));
    const loadAfterOurs = loadavg()[0]!;

    // Ours is closed (device process, relay, schema) before the anchor runs.
    for (const failure of await cleanup.run()) process.stderr.write(`cleanup: ${failure}\n`);
    let anchor: AnchorCatchUp | undefined;
    if (withAnchor) {
      process.stdout.write(`  ours caught up in ${caught.queueEmptyMs} ms; anchor: Automerge Repo, the same ${entities} workouts x ${1 + edits} changes...\n`);
      anchor = await runAutomergeRepoCatchUp(entities, edits, 10 * 60_000, anchorCleanup);
    }
    load.end = loadavg()[0]!;

    const results = {
      when: new Date().toISOString(),
      cores: availableParallelism(),
      load,
      postgres: pg,
      entities,
      edits,
      deviceRestartedBeforeCatchUp: restart,
      sampleMs,
      local,
      ready,
      catchUp: caught,
      relay: check,
      relayCpuMs,
      relayThreadsMs,
      automergeFloor,
      loadAfterOurs,
      anchor: anchor ?? null,
      ratios: anchor
        ? {
            catchUpOverAnchor: Math.round((caught.queueEmptyMs / anchor.catchUpMs) * 100) / 100,
            cpuOverAnchor: Math.round(((caught.cpuMs + relayCpuMs) / anchor.cpuMs) * 100) / 100,
          }
        : null,
      targets: { catchUpMs: TARGET_MS, peakMemoryMb: TARGET_MB },
    };
    print(results);
    const out = join(here, "results", "long-offline.json");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`written to ${out}\n`);
  } finally {
    const failures = [...(await cleanup.run()), ...(await anchorCleanup.run())];
    for (const failure of failures) process.stderr.write(`cleanup: ${failure}\n`);
  }
}

/** The document bytes the relay stored for the person: what each create pushed (one version each after a catch-up of creates). */
async function storedDocuments(schema: string): Promise<Uint8Array[]> {
  return withAdmin(async (admin) => (await admin.query<{ doc: Buffer }>(`SELECT doc FROM ${schema}.entities WHERE user_id <> '_catalog'`)).rows.map((row) => row.doc));
}

/** What Postgres holds afterwards: one row per workout, each with every set the device added. */
async function relayCheck(schema: string, entities: number, edits: number) {
  return withAdmin(async (admin) => {
    const row = (
      await admin.query<{ rows: string; ids: string; min_version: number | null; max_version: number | null; complete: string }>(
        `SELECT count(*) AS rows, count(DISTINCT entity_id) AS ids, min(version) AS min_version, max(version) AS max_version,
                count(*) FILTER (WHERE (SELECT sum(jsonb_array_length(e->'sets')) FROM jsonb_array_elements(data->'payload'->'exercises') e) = $1) AS complete
           FROM ${schema}.entities WHERE user_id <> '_catalog'`,
        [EXERCISES * SETS_PER_EXERCISE + edits],
      )
    ).rows[0]!;
    return {
      rows: Number(row.rows),
      distinctIds: Number(row.ids),
      expected: entities,
      versions: { min: row.min_version, max: row.max_version },
      withEverySet: Number(row.complete),
    };
  });
}

function print(r: {
  local: LocalPhase;
  ready: Ready;
  catchUp: CatchUp;
  relay: Awaited<ReturnType<typeof relayCheck>>;
  anchor: AnchorCatchUp | null;
  relayCpuMs: number;
  relayThreadsMs: ThreadCpu | null;
  automergeFloor: AutomergeLoadFloor;
  entities: number;
  deviceRestartedBeforeCatchUp: boolean;
  load: { start: number; end: number };
}): void {
  const c = r.catchUp;
  const l = r.local;
  const itemsPerS = (c.report.pushed / c.queueEmptyMs) * 1000;
  const changesPerS = (l.changes / c.queueEmptyMs) * 1000;
  const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
  const last = c.progress.at(-1);
  const rows: string[][] = [
    ["offline: make the changes", `${(l.ms / 1000).toFixed(2)} s`, `${l.changes} changes; create p50 ${l.createMs.p50} ms, update p50 ${l.updateMs.p50} ms`],
    ["offline: device rss peak", `${l.memory.rssMb.peak} MB`, `heap peak ${l.memory.heapUsedMb.peak} MB, external ${l.memory.externalMb.peak} MB`],
    [r.deviceRestartedBeforeCatchUp ? "device process started again" : "device kept open", `${r.ready.openMs} ms`, `rss ${r.ready.rssMb} MB before the catch-up`],
    ["catch-up: syncNow -> queue empty", `${c.queueEmptyMs} ms`, `target <= ${TARGET_MS} ms: ${verdict(c.queueEmptyMs <= TARGET_MS)}`],
    ["catch-up: syncNow resolved", `${c.syncNowMs} ms`, "with the pull that ends a manual sync"],
    ["catch-up: rate", `${itemsPerS.toFixed(0)} items/s`, `${changesPerS.toFixed(0)} changes/s (${c.report.pushed} items carrying ${l.changes})`],
    ["catch-up: report", `pushed ${c.report.pushed}`, `pulled ${c.report.pulled}, conflicts ${c.report.conflicts}, errors ${c.report.errors}`],
    ["catch-up: progress", `${c.progress.length} states`, `${c.progressNotifications} of ${c.notifications} notifications; last ${last ? `${last.done}/${last.total}` : "none"}`],
    ["catch-up: device rss peak", `${c.memory.rssMb.peak} MB`, `start ${c.memory.rssMb.start} MB; ${c.memory.samples} samples; target <= ${TARGET_MB} MB: ${verdict(c.memory.rssMb.peak <= TARGET_MB)}`],
    ["catch-up: device heap peak", `${c.memory.heapUsedMb.peak} MB`, `external peak ${c.memory.externalMb.peak} MB`],
    ["catch-up: device process max rss", `${c.lifetimeMaxRssMb} MB`, r.deviceRestartedBeforeCatchUp ? "getrusage, this process's life" : "getrusage, offline phase included"],
    [
      "catch-up: device cpu; relay cpu",
      `${c.cpuMs} ms; ${r.relayCpuMs} ms`,
      `the relay runs in the bench's process${r.relayThreadsMs ? `: main thread ${r.relayThreadsMs.mainMs} ms, other threads (garbage collection, compilation) ${r.relayThreadsMs.otherThreadsMs} ms` : ""}`,
    ],
    [
      "Automerge's own work: A.load of each pushed workout",
      `${Math.round(r.automergeFloor.cpuMs)} ms`,
      `${r.automergeFloor.loads} loads of ${r.automergeFloor.bytes} B, ${r.automergeFloor.cpuMsPerLoad.toFixed(2)} ms CPU each; relay cpu / it ${fmtRatio(r.relayCpuMs / r.automergeFloor.cpuMs)}`,
    ],
    ...(r.anchor
      ? [
          [
            "anchor: Automerge Repo's sync server, catch-up",
            `${r.anchor.catchUpMs} ms`,
            `ours / anchor ${fmtRatio(c.queueEmptyMs / r.anchor.catchUpMs)}; ${r.anchor.documentsAtHeads} documents at the device's heads; cpu ${r.anchor.cpuMs} ms (device and server, one process; ours / anchor ${fmtRatio((c.cpuMs + r.relayCpuMs) / r.anchor.cpuMs)}); offline ${(r.anchor.offlineMs / 1000).toFixed(1)} s`,
          ],
        ]
      : []),
    ["relay rows", `${r.relay.rows} / ${r.entities}`, `distinct ${r.relay.distinctIds}, versions ${r.relay.versions.min}-${r.relay.versions.max}, with every set ${r.relay.withEverySet}`],
  ];
  process.stdout.write(`\n${table(["long offline", "figure", "notes"], rows)}\n`);
  process.stdout.write(`load average ${r.load.start.toFixed(2)} -> ${r.load.end.toFixed(2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
