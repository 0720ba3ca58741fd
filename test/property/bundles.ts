// The device host and the relay as the property starts them: by default each is bundled once per
// test process by esbuild (tsx's own compiler; packages stay external, so node_modules is shared)
// and started with plain node. The same code runs; a process start costs about half the CPU it
// costs through tsx's loader (device host 0.65 s instead of 1.4 s, relay about 1 s instead of 2 s
// on this machine), and every kill of a device or of the relay pays one. PROPERTY_TSX=1 starts
// them with `node --import tsx` instead.
import { mkdirSync, readdirSync, rmSync } from "node:fs";
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
      await build({ entryPoints: [join(REPO, source)], outfile: script, bundle: true, platform: "node", format: "esm", packages: "external", target: "node20", logLevel: "warning" });
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
