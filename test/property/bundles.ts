// The device host and the relay as the property starts them: by default each is bundled once per
// test process by esbuild (tsx's own compiler) and started with plain node. The same code runs; a
// process start costs about half the CPU it costs through tsx's loader (device host 0.65 s instead
// of 1.4 s, relay about 1 s instead of 2 s on this machine), and every kill of a device or of the
// relay pays one. PROPERTY_TSX=1 starts them with `node --import tsx` instead. The long-offline
// bench starts its device process the same way (bench/long-offline.ts).
//
// The packages the code imports are bundled too, except those that load files beside their own
// code (Automerge's WebAssembly, native add-ons): with them external, Node's module loader
// (resolving, reading and compiling some 300 files of node_modules) was half of a start's CPU
// again. Bundled, a device host is ready on 0.45-0.49 s of CPU instead of 0.92-0.98 s, and the
// relay on 0.58-0.67 s instead of 1.18-1.30 s (means of 4-6 starts each, side by side, at load
// 10-11).
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Command {
  script: string;
  execArgv: string[];
}

const REPO = fileURLToPath(new URL("../../", import.meta.url));
// Two levels below the repository root, where relay/store/migrate.ts's
// `new URL("../../schema/migrations/", import.meta.url)` still finds the migrations; inside the
// repository, so the bundles' bare imports resolve to its node_modules. test-results/ is ignored.
const DIR = join(REPO, "test-results", "property-bundles");
/**
 * Left to node_modules (the bundle sits inside the repository, so they resolve there): the relay
 * build's list (relay/bundle-external.json), packages that load files relative to their own
 * folder and optional native add-ons.
 */
const EXTERNAL = JSON.parse(readFileSync(join(REPO, "relay", "bundle-external.json"), "utf8")) as string[];
const cache = new Map<string, Promise<Command>>();
const made: string[] = [];

/** How to start `source` (a path from the repository root), bundling it on first use. */
export function command(source: string, execArgv: string[] = []): Promise<Command> {
  let found = cache.get(source);
  if (!found) {
    found = (async () => {
      if (process.env["PROPERTY_TSX"] === "1") return { script: join(REPO, source), execArgv: ["--import", "tsx", ...execArgv] };
      const { build } = await import("esbuild");
      mkdirSync(DIR, { recursive: true });
      removeAbandoned();
      const name = source.replace(/[/\\]/g, "_").replace(/\.ts$/, "");
      const script = join(DIR, `${name}-${process.pid}.mjs`);
      await build({
        entryPoints: [join(REPO, source)],
        outfile: script,
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node20",
        logLevel: "warning",
        external: EXTERNAL,
        // Bundled CommonJS packages require Node's own modules; an ES module has no `require`.
        banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
      });
      made.push(script);
      process.once("exit", removeBundles);
      return { script, execArgv };
    })();
    cache.set(source, found);
  }
  return found;
}

/** Removes this process's bundles (the test's afterAll; also on a normal exit). */
export function removeBundles(): void {
  for (const script of made.splice(0)) rmSync(script, { force: true });
  cache.clear();
}

/** Bundles of test processes that are gone (a test runner ends its workers without `exit`). */
function removeAbandoned(): void {
  for (const name of readdirSync(DIR)) {
    const pid = Number(/-(\d+)\.mjs$/.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") rmSync(join(DIR, name), { force: true });
    }
  }
}
