// PGlite for the bench without an initdb per run: initdb costs seconds (17 s on a loaded 2-core
// box), so the first run dumps an initdb'd, empty data folder to the OS temp folder (keyed by
// the PGlite version) and later runs start from it in well under a second, as tests do with
// their template. The relay's store code on top is the same as openStore({ dataDir }).
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { EMBEDDED_PGLITE, openPgliteStoreOn } from "../../relay/store/index.js";
import type { RelayStore } from "../../relay/store/index.js";

/** The installed PGlite's version (its package.json is not in its exports map). */
function pgliteVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve("@electric-sql/pglite")));
  for (let i = 0; i < 5; i++) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const parsed = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string; version?: string };
      if (parsed.name === "@electric-sql/pglite" && parsed.version) return parsed.version;
    }
    dir = dirname(dir);
  }
  return "unknown";
}

export async function openPgliteStoreFromTemplate(dataDir: string): Promise<{ store: RelayStore; madeTemplate: boolean }> {
  const file = join(tmpdir(), `ironflow-benchcache-pglite-${pgliteVersion()}.tar`);
  let madeTemplate = false;
  if (!existsSync(file)) {
    const db = await PGlite.create();
    try {
      const dump = await db.dumpDataDir("none");
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, new Uint8Array(await dump.arrayBuffer()));
      renameSync(partial, file);
      madeTemplate = true;
    } finally {
      await db.close();
    }
  }
  const db = await PGlite.create(dataDir, { ...EMBEDDED_PGLITE, loadDataDir: new Blob([readFileSync(file)]) });
  return { store: await openPgliteStoreOn(db), madeTemplate };
}
