// Vitest's globalSetup (vitest.config.ts): what every test process would otherwise make for
// itself, made once per `vitest run` in the main process before any file starts.
//
// The PGlite template: an initdb'd, empty data folder as a tarball, written to a temp file whose
// path test processes get through inject("pgliteTemplate") (test/support/databases.ts loads it).
// initdb costs seconds of CPU (17 s seen on a loaded 2-core machine); paid in each process that
// opens a PGlite store, it came while other files ran beside it and pushed a test past its timeout.
//
// The relay as `npm start` runs it: relay/build.mjs (prestart) builds dist-relay/ when a source
// changed; the fault tests start relay processes from it (test/faults/relay-process.ts).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** A file holding PGlite's data folder right after initdb (dumpDataDir, uncompressed). */
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), "ironflow-pglite-template-"));
  const file = join(dir, "template.tar");
  await Promise.all([writePgliteTemplate(file), buildRelay(project.config.root)]);
  project.provide("pgliteTemplate", file);
  return () => {
    rmSync(dir, { recursive: true, force: true });
  };
}

async function writePgliteTemplate(file: string): Promise<void> {
  const db = await PGlite.create();
  try {
    const image = await db.dumpDataDir("none");
    writeFileSync(file, new Uint8Array(await image.arrayBuffer()));
  } finally {
    await db.close();
  }
}

async function buildRelay(root: string): Promise<void> {
  await promisify(execFile)(process.execPath, ["relay/build.mjs"], { cwd: root });
}
