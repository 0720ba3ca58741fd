// Automerge's own work, measured in the same run as ours: what any relay and devices that keep
// each workout as an Automerge document and check every push cannot do without, with nothing of
// ours around it (no storage, encryption, validation, protocol or Postgres).
// - An edit: A makes the change (one added set, stamped with a new hlc and time as our device
//   stamps it) and saves it (saveSince); the relay and B each apply it (loadIncremental). Three
//   parties hold the document, so an edit is applied three times.
// - A pushed workout: the relay loads it (A.load; an update to a document it does not hold, with
//   the stored row's bytes before it), which a relay that validates every document before
//   storing it cannot skip (DESIGN.md); the load materialises its root.
// CPU of this process over many repetitions, divided: the figures the targets (CPU per edit,
// ingest items per second) are measured against, not a latency.
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo";
import { cpuClock } from "../support/cpu.js";
import { addedSet, hlc, workoutDocument } from "../workload.js";

export interface AutomergeEditFloor {
  /** Edits measured (of one fresh workout, as the edit loop makes them: its history grows with them). */
  edits: number;
  /** CPU per edit, the four steps together. */
  cpuMsPerEdit: number;
  /** CPU per edit of each step, measured apart. */
  steps: { change: number; saveSince: number; relayApply: number; otherDeviceApply: number };
}

export interface AutomergeLoadFloor {
  /** Pushed documents loaded (each once, after one warm-up load). */
  loads: number;
  /** Mean bytes of one. */
  bytes: number;
  /** CPU of all the loads, and per load. */
  cpuMs: number;
  cpuMsPerLoad: number;
  /** What one core loads in a second: the most items per second one relay process that validates every push can take. */
  loadsPerSecondPerCore: number;
}

type Doc = Record<string, unknown>;
type Workout = { payload: { exercises: { sets: unknown[] }[] }; hlc: string; updatedAt: number };

/**
 * `edits` edits of a fresh workout, as the edit loop makes them; before them, `warmup` edits of
 * another workout not counted, so that Automerge's WebAssembly is compiled and optimised as it is
 * after ours (alone, cold, the same edits measured 3.45 ms against 2.1 ms warm).
 */
export function measureAutomergeEditFloor(edits: number, warmup = 300): AutomergeEditFloor {
  runEdits(0, warmup);
  return runEdits(1, edits);
}

function runEdits(workout: number, edits: number): AutomergeEditFloor {
  const start = Date.UTC(2026, 10, 20, 18, 0);
  const root = workoutDocument(workout, parseAutomergeUrl(generateAutomergeUrl()).documentId, "floor-device-a", "A", start);
  let a = A.from<Doc>(root);
  let relay = A.load<Doc>(A.save(a));
  let b = A.load<Doc>(A.save(a));
  const steps = { change: 0, saveSince: 0, relayApply: 0, otherDeviceApply: 0 };
  for (let i = 0; i < edits; i++) {
    const { exercise, set } = addedSet(i);
    const heads = A.getHeads(a);
    let step = cpuClock();
    a = A.change(a, (draft) => {
      const w = draft as unknown as Workout;
      w.payload.exercises[exercise]!.sets.push(set);
      w.hlc = hlc(start + i, 0, "floor-device-a");
      w.updatedAt = start + i;
    });
    const change = step();
    step = cpuClock();
    const bytes = A.saveSince(a, heads);
    const saveSince = step();
    step = cpuClock();
    relay = A.loadIncremental(relay, bytes);
    const relayApply = step();
    step = cpuClock();
    b = A.loadIncremental(b, bytes);
    const otherDeviceApply = step();
    steps.change += change;
    steps.saveSince += saveSince;
    steps.relayApply += relayApply;
    steps.otherDeviceApply += otherDeviceApply;
  }
  const sets = (doc: Doc) => (doc as unknown as Workout).payload.exercises.reduce((n, e) => n + e.sets.length, 0);
  if (sets(b) !== sets(a) || sets(relay) !== sets(a)) throw new Error("automerge floor: the relay or B missed an edit");
  for (const doc of [a, relay, b]) A.free(doc);
  const per = (ms: number) => ms / Math.max(1, edits);
  return {
    edits,
    cpuMsPerEdit: per(steps.change + steps.saveSince + steps.relayApply + steps.otherDeviceApply),
    steps: { change: per(steps.change), saveSince: per(steps.saveSince), relayApply: per(steps.relayApply), otherDeviceApply: per(steps.otherDeviceApply) },
  };
}

/** A.load of each of `pushed` (the bytes a relay loads to validate a push: a create's, or a row's with an update's changes after it). */
export function measureAutomergeLoadFloor(pushed: readonly Uint8Array[]): AutomergeLoadFloor {
  if (pushed.length === 0) throw new Error("automerge floor: nothing to load");
  A.free(A.load<Doc>(pushed[0]!));
  const cpu = cpuClock();
  for (const bytes of pushed) A.free(A.load<Doc>(bytes));
  const cpuMs = cpu();
  const cpuMsPerLoad = cpuMs / pushed.length;
  return {
    loads: pushed.length,
    bytes: Math.round(pushed.reduce((n, b) => n + b.length, 0) / pushed.length),
    cpuMs,
    cpuMsPerLoad,
    loadsPerSecondPerCore: cpuMsPerLoad > 0 ? 1000 / cpuMsPerLoad : Number.POSITIVE_INFINITY,
  };
}
