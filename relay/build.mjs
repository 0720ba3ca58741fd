// Compiles the relay (relay/main.ts and what it imports from this repository) into one ES module,
// dist-relay/relay/main.js, so `npm start` runs plain JavaScript: no type-stripping loader on the
// start path (tsx cost the relay's start about as much CPU again as the relay itself, in a loader
// thread of its own). Packages stay imports from node_modules. Runs as `prestart`; skips the
// build when the output is newer than every file the last build read (its metafile).
// The output sits two folders deep, as relay/store/migrate.ts does, so the migrations folder it
// finds from its own URL (../../schema/migrations/) is the repository's.
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const OUT = "dist-relay/relay/main.js";
const META = "dist-relay/meta.json";

function upToDate() {
  if (!existsSync(OUT) || !existsSync(META)) return false;
  const built = statSync(OUT).mtimeMs;
  const inputs = Object.keys(JSON.parse(readFileSync(META, "utf8")).inputs ?? {});
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
    packages: "external",
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
  });
  writeFileSync(META, JSON.stringify(result.metafile));
}
