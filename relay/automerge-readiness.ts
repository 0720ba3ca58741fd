// Whether Automerge's WebAssembly module still works, for GET /readyz. A trap inside the module (a
// panic, or its memory past 4 GiB) makes wasm-bindgen mark the whole module terminated: from then
// on every call throws "Module terminated" for the life of the process, and every push would be
// refused while /healthz still answered. Only a new process mends it, so the relay reports itself
// not ready and the orchestrator restarts it. The probe is a real round trip on a tiny document
// (tens of microseconds); it allocates nothing that outlives it.
// A push that meets the failed module is answered UNAVAILABLE (automergeUnavailable), not as bad data.
// Specification: docs/observability.md
import * as A from "@automerge/automerge";
import { Code, SyncError } from "../schema/status.js";
import type { ReadinessCheck } from "./readiness.js";

/** The part of Automerge the probe calls: the module itself, or (in tests) one that trapped. */
export type AutomergeProbeApi = Pick<typeof A, "from" | "save" | "load" | "free">;

export function automergeReadiness(automerge: AutomergeProbeApi = A): ReadinessCheck {
  return {
    name: "automerge",
    check() {
      const failure = automergeFailure(automerge);
      return failure === undefined ? Promise.resolve() : Promise.reject(new Error(`Automerge's WebAssembly module fails (${failure}): restart the relay`));
    },
  };
}

/** Why the module fails (a trapped one throws "Module terminated" on every call), or undefined when it works. */
export function automergeFailure(automerge: AutomergeProbeApi = A): string | undefined {
  try {
    const doc = automerge.from({ probe: 1 });
    const copy = automerge.load(automerge.save(doc));
    automerge.free(copy);
    automerge.free(doc);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The answer to a push while the module fails: the push was not at fault and its changes must
 * stay on the device, so UNAVAILABLE (retried, by then on a restarted relay), never
 * INVALID_ARGUMENT (which devices flag and stop sending).
 */
export function automergeUnavailable(failure: string): SyncError {
  return new SyncError(Code.UNAVAILABLE, `the relay's Automerge module fails (${failure}); it is restarting: send this again`);
}
