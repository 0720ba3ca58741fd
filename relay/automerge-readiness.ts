// Whether Automerge's WebAssembly module still works, for GET /readyz. A trap inside the module (a
// panic, or its memory past 4 GiB) makes wasm-bindgen mark the whole module terminated: from then
// on every call throws "Module terminated" for the life of the process, and every push would be
// refused while /healthz still answered. Only a new process mends it, so the relay reports itself
// not ready and the orchestrator restarts it. The probe is a real round trip on a tiny document
// (tens of microseconds); it allocates nothing that outlives it.
// Specification: docs/observability.md
import * as A from "@automerge/automerge";
import type { ReadinessCheck } from "./readiness.js";

/** The part of Automerge the probe calls: the module itself, or (in tests) one that trapped. */
export type AutomergeProbeApi = Pick<typeof A, "from" | "save" | "load" | "free">;

export function automergeReadiness(automerge: AutomergeProbeApi = A): ReadinessCheck {
  return {
    name: "automerge",
    check() {
      try {
        const doc = automerge.from({ probe: 1 });
        const copy = automerge.load(automerge.save(doc));
        automerge.free(copy);
        automerge.free(doc);
        return Promise.resolve();
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        return Promise.reject(new Error(`Automerge's WebAssembly module fails (${reason}): restart the relay`));
      }
    },
  };
}
