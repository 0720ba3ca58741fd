// Compiles the relay (relay/main.ts and what it imports from this repository) into one ES module,
// dist-relay/relay/main.js, so `npm start` runs plain JavaScript: no type-stripping loader on the
// start path (tsx cost the relay's start about as much CPU again as the relay itself, in a loader
// thread of its own). Packages are bundled too, except those that load files beside their own
// code (Automerge's and PGlite's WebAssembly and data files) and optional native add-ons: Node's
// module loader resolving, reading and compiling a few hundred files of node_modules was about
// 0.25 s of the start's CPU (1.5 s -> 1.2 s at ready on a reopened PGlite folder, 4 alternating
// starts each). Runs as `prestart`; skips the build when the output is newer than every file the
// last build read (its metafile).
// The output sits two folders deep, as relay/store/migrate.ts does, so the migrations folder it
// finds from its own URL (../../schema/migrations/) is the repository's.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

/**
 * Left to node_modules (bundle-external.json, shared with the property test's bundles): packages
 * that load files beside their own code (Automerge's and PGlite's WebAssembly and data files), and
 * optional native add-ons.
 */
const EXTERNAL = JSON.parse(readFileSync("relay/bundle-external.json", "utf8"));
const OUT = "dist-relay/relay/main.js";
const META = "dist-relay/meta.json";

function upToDate() {
  if (!existsSync(OUT) || !existsSync(META)) return false;
  const built = statSync(OUT).mtimeMs;
  // This script and its list are inputs too: a change of how the relay is built builds it again.
  const inputs = [...Object.keys(JSON.parse(readFileSync(META, "utf8")).inputs ?? {}), "relay/build.mjs", "relay/bundle-external.json"];
  return inputs.length > 0 && inputs.every((file) => existsSync(file) && statSync(file).mtimeMs <= built);
}

if (!upToDate()) {
  const result = await build({
    entryPoints: ["relay/main.ts"],
    outfile: OUT,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: EXTERNAL,
    // Bundled CommonJS packages require Node's own modules; an ES module has no `require`.
    banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
    sourcemap: "linked",
    // `npm start` runs with --enable-source-maps, and Node reads and parses the whole map as it
    // loads the bundle: with the packages' sources inside it that was a 4 MB JSON parse (about
    // 0.1 s) on every start. Stack traces need only the mappings; the sources are in the repository.
    sourcesContent: false,
    metafile: true,
    logLevel: "warning",
  });
  writeFileSync(META, JSON.stringify(result.metafile));
}
