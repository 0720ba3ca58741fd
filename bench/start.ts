// `npm run bench:start`: the embedded start, beside its anchor in the same run. The relay as
// `npm start` runs it (the start script's command, after the relay build prestart runs, without
// npm itself) on a PGlite data folder it made before (a reopen), and the anchor: PGlite opening
// the same folder bare (bench/support/pglite-open.mjs: no relay, no migrations, no loader). Each is a fresh
// process; the figure is spawn until its ready line (wall), and the CPU time and RSS the process
// reports at that line. Runs alternate, medians are reported. Writes bench/results/start.json.
//
// Knobs: START_RUNS (5). The first start on the fresh folder (initdb, migrations) is reported too.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmtMs, fmtRatio, median, ratio, table } from "./report.js";
import { envInt } from "./support/env.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const TARGET_READY_MS = 1000;
const TARGET_RSS_MB = 300;

interface Start {
  wallMs: number;
  cpuMs: number;
  rssMb: number;
}


/** The command `npm start` runs (package.json's start script), split for spawn. */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const script = pkg.scripts["start"];
  if (!script) throw new Error("package.json has no start script");
  const [bin, ...args] = script.split(/\s+/);
  // npm puts node_modules/.bin on the PATH; so do we.
  return [bin === "node" ? process.execPath : join(root, "node_modules", ".bin", bin!), ...args];
}

/** Spawns `argv`, waits for a stdout line with `readyEvent`, then stops the process. */
function timedStart(argv: string[], env: Record<string, string>, readyEvent: string, fields: { cpu: string; rss: string }): Promise<Start> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let done = false;
    const timer = setTimeout(() => finish(new Error(`no ${readyEvent} within 120 s: ${err.slice(-500)}`)), 120_000);
    const finish = (failure: Error | undefined, start?: Start) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.once("exit", () => (failure ? reject(failure) : resolve(start!)));
      if (child.exitCode !== null || child.signalCode !== null) child.emit("exit");
      else child.kill("SIGTERM");
    };
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      for (const line of out.split("\n")) {
        if (!line.includes(readyEvent)) continue;
        const wallMs = performance.now() - t0;
        const parsed = JSON.parse(line) as Record<string, number>;
        finish(undefined, { wallMs, cpuMs: Number(parsed[fields.cpu]), rssMb: Number(parsed[fields.rss]) });
        return;
      }
    });
    child.once("exit", (code) => {
      if (!done) finish(new Error(`exited with ${code} before ${readyEvent}: ${err.slice(-500)}`));
    });
  });
}

const runs = envInt("START_RUNS", 5);
const dataDir = mkdtempSync(join(tmpdir(), "ironflow-bench-start-"));
const load = { start: loadavg()[0]!, end: 0 };
try {
  // What prestart does for the relay (compile it when its sources changed); the web app is not needed here.
  const built = spawnSync(process.execPath, [join(root, "relay", "build.mjs")], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) throw new Error("relay/build.mjs failed");
  const argv = startCommand();
  const relayEnv = { IRONFLOW_DATA_DIR: join(dataDir, "data"), PORT: "0", DATABASE_URL: "" };
  const relay = () => timedStart(argv, relayEnv, "relay_ready", { cpu: "process_cpu_ms", rss: "rss_mb" });
  const anchor = () => timedStart([process.execPath, join(here, "support", "pglite-open.mjs"), relayEnv.IRONFLOW_DATA_DIR], {}, "pglite_ready", { cpu: "cpu_ms", rss: "rss_mb" });
  console.log(`start bench: ${argv.map((a) => a.replace(root + "/", "")).join(" ")}, ${runs} reopen runs each, alternating`);
  const fresh = await relay();
  console.log(`  fresh folder: ready in ${fmtMs(fresh.wallMs)} (cpu ${fmtMs(fresh.cpuMs)}, rss ${fresh.rssMb} MB)`);
  const ours: Start[] = [];
  const bare: Start[] = [];
  for (let i = 0; i < runs; i++) {
    bare.push(await anchor());
    ours.push(await relay());
  }
  load.end = loadavg()[0]!;
  const med = (xs: Start[], k: keyof Start) => median(xs.map((x) => x[k]));
  const results = {
    when: new Date().toISOString(),
    cores: availableParallelism(),
    load,
    command: argv.map((a) => a.replace(root + "/", "")).join(" "),
    runs,
    fresh,
    reopen: { wallMsP50: med(ours, "wallMs"), cpuMsP50: med(ours, "cpuMs"), rssMbP50: med(ours, "rssMb"), samples: ours },
    anchor: { wallMsP50: med(bare, "wallMs"), cpuMsP50: med(bare, "cpuMs"), rssMbP50: med(bare, "rssMb"), samples: bare },
    ratios: { wallOverAnchor: ratio(med(ours, "wallMs"), med(bare, "wallMs")), cpuOverAnchor: ratio(med(ours, "cpuMs"), med(bare, "cpuMs")) },
    targets: { readyMs: TARGET_READY_MS, rssMb: TARGET_RSS_MB },
  };
  console.log(
    table(
      ["start (reopened folder)", "wall p50", "cpu p50", "rss MB", "wall / anchor", "cpu / anchor"],
      [
        ["relay (npm start's command)", fmtMs(results.reopen.wallMsP50), fmtMs(results.reopen.cpuMsP50), String(results.reopen.rssMbP50), fmtRatio(results.ratios.wallOverAnchor), fmtRatio(results.ratios.cpuOverAnchor)],
        ["anchor: PGlite opening the folder bare", fmtMs(results.anchor.wallMsP50), fmtMs(results.anchor.cpuMsP50), String(results.anchor.rssMbP50), "", ""],
      ],
    ),
  );
  console.log(`targets: ready <= ${TARGET_READY_MS} ms (${results.reopen.wallMsP50 <= TARGET_READY_MS ? "within" : "over"}), relay rss <= ${TARGET_RSS_MB} MB (${results.reopen.rssMbP50 <= TARGET_RSS_MB ? "within" : "over"}); load average ${load.start.toFixed(2)} -> ${load.end.toFixed(2)} on ${results.cores} cpus`);
  const out = join(here, "results", "start.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written to ${out}`);
} finally {
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}
