// Temp folders for one section, removed when the section ends, after everything in it closed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Cleanup } from "./bounded.js";

export interface TempFolders {
  make(prefix: string): string;
}

/**
 * Call before registering anything that writes into the folders: cleanups run in reverse, so
 * the folders go last. Removal waits `settleMs` first, for libraries whose timers still write a
 * moment after they were closed (Automerge Repo's throttled sync-state saves).
 */
export function tempFolders(cleanup: Cleanup, settleMs = 0): TempFolders {
  const made: string[] = [];
  cleanup.add("temp folders", async () => {
    if (settleMs > 0) await new Promise((resolve) => setTimeout(resolve, settleMs));
    for (const path of made) rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  });
  return {
    make(prefix) {
      const path = mkdtempSync(join(tmpdir(), `ironflow-bench-${prefix}-`));
      made.push(path);
      return path;
    },
  };
}
