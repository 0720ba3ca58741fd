// The property's checker on hand-made final states: each rule it enforces fails when broken and
// stays quiet when the ledger excuses it, so a green property means the rules held, not that the
// checker looked away.
import { describe, expect, it } from "vitest";
import { check, type DeviceFinal, type FinalState } from "./checker.js";
import type { Resolution } from "./host-protocol.js";
import { Ledger } from "./ledger.js";
import type { RelayRow } from "./relay-under-test.js";

const W = "workout-1";

function workout(sets: { id: string; reps: number; weight: number; keptFrom?: { setId: string; deviceId: string; deviceName: string } }[], deleted = false) {
  return {
    type: "workout",
    id: W,
    createdAt: 1,
    updatedAt: 1,
    deviceId: "x",
    deviceName: "x",
    hlc: "",
    deleted: deleted ? { at: 1, hlc: "", deviceId: "x" } : null,
    payload: {
      title: "Workout",
      startedAt: 1,
      completedAt: null,
      notes: "",
      exercises: [{ id: "exercise-1", name: "Bench", sets: sets.map((s) => ({ unit: "kg", rpe: null, completed: true, ...s })) }],
    },
  };
}

function state(docs: Record<string, unknown>, resolutions: Record<string, Resolution[]> = {}, version = 1): FinalState {
  const devices: DeviceFinal[] = Object.entries(docs).map(([name, doc]) => ({
    name,
    items: [{ type: "workout", id: W, date: 1, title: "Workout", deleted: false, syncState: "synced", serverVersion: version }],
    docs: [{ id: W, doc: doc as never }],
    resolutions: resolutions[name] ?? [],
  }));
  const first = Object.values(docs)[0];
  const rows: RelayRow[] = [{ userId: "u", entityId: W, entityType: "workout", version: 1, deleted: false, data: first, doc: first }];
  return { devices, rows };
}

function record(lost: unknown, kind = "edit_lost_to_delete"): Resolution {
  return { id: "r1", entityId: W, entityType: "workout", kind, path: "payload", lost, at: 1, restoredAt: null, restorable: kind !== "restored_by_edit" && kind !== "kept_both" };
}

function ledgerWith(...sets: [reps: number, weight: number][]): Ledger {
  const ledger = new Ledger();
  for (const [reps, weight] of sets) ledger.markSaved(ledger.newSet(reps, weight), "d0 at step 0");
  return ledger;
}

describe("the convergence checker", () => {
  it("passes identical replicas holding every saved set", () => {
    const doc = workout([{ id: "set-1", reps: 5, weight: 60 }]);
    expect(check(state({ d0: doc, d1: doc }), ledgerWith([5, 60]))).toEqual([]);
  });

  it("finds a saved set that is gone, unless a record on every device names it", () => {
    const doc = workout([]);
    const ledger = ledgerWith([5, 60]);
    expect(check(state({ d0: doc, d1: doc }), ledger)).toEqual([expect.stringMatching(/^set-1 .* is lost: not shown on d0, d1, postgres, and named in no record/)]);
    const named = { d0: [record({ exercises: [{ sets: [{ id: "set-1" }] }] })] };
    expect(check(state({ d0: doc, d1: doc }, named), ledger)).toEqual([expect.stringMatching(/named in a record on d0 only/)]);
    const everywhere = { ...named, d1: named.d0 };
    expect(check(state({ d0: doc, d1: doc }, everywhere), ledger)).toEqual([]);
  });

  it("excuses a set the person removed, and finds it if it comes back without a deliberate act", () => {
    const ledger = ledgerWith([5, 60]);
    ledger.markRemoved(["set-1"], "deleted by d1 at step 2");
    expect(check(state({ d0: workout([]) }), ledger)).toEqual([]);
    expect(check(state({ d0: workout([{ id: "set-1", reps: 5, weight: 60 }]) }), ledger)).toEqual(["set-1 (deleted by d1 at step 2) is back on d0, postgres"]);
    ledger.markBack(["set-1"], "mine chosen on d0 at heal");
    expect(check(state({ d0: workout([{ id: "set-1", reps: 5, weight: 60 }]) }), ledger)).toEqual([]);
  });

  it("lets a deleted workout's sets come back with a restored_by_edit record on that workout", () => {
    const ledger = ledgerWith([5, 60]);
    ledger.markRemoved(["set-1"], `workout ${W} deleted by d1 at step 2`, W);
    const back = state({ d0: workout([{ id: "set-1", reps: 5, weight: 60 }]) });
    expect(check(back, ledger)).toHaveLength(1);
    expect(check(state({ d0: workout([{ id: "set-1", reps: 5, weight: 60 }]) }, { d0: [record(null, "restored_by_edit")] }), ledger)).toEqual([]);
  });

  it("finds values nobody entered, a set shown twice, and a set nobody logged; reads a kept copy by its original id", () => {
    const ledger = ledgerWith([5, 60]);
    ledger.entered("set-1", 8, 70);
    expect(check(state({ d0: workout([{ id: "set-1", reps: 8, weight: 60 }]) }), ledger)).toEqual([
      expect.stringMatching(/d0: set-1 in workout workout-1 holds 8x60, which nobody entered \(entered: 5x60, 8x70\)/),
      expect.stringMatching(/postgres: set-1 .* holds 8x60/),
    ]);
    const twice = workout([
      { id: "set-1", reps: 5, weight: 60 },
      { id: "set-1", reps: 8, weight: 70 },
    ]);
    expect(check(state({ d0: twice }), ledger)).toContain("d0: set-1 is shown twice (workout workout-1 and workout workout-1)");
    expect(check(state({ d0: workout([{ id: "set-1", reps: 5, weight: 60 }, { id: "set-9", reps: 1, weight: 1 }]) }), ledger)).toContain(
      "d0: set-9 in workout workout-1 is a set nobody logged",
    );
    const kept = workout([
      { id: "set-1", reps: 5, weight: 60 },
      { id: "set-1-copy", reps: 8, weight: 70, keptFrom: { setId: "set-1", deviceId: "x", deviceName: "d1" } },
    ]);
    expect(check(state({ d0: kept }), ledger)).toEqual([]);
  });

  it("finds a document that reads {} or throws, replicas that differ, and a stale version", () => {
    const ledger = ledgerWith([5, 60]);
    const doc = workout([{ id: "set-1", reps: 5, weight: 60 }]);
    const empty = state({ d0: doc, d1: {} });
    expect(check(empty, ledger)).toContain(`d1: workout ${W} reads {} after reopen (its document is gone)`);
    const threw = state({ d0: doc, d1: doc });
    threw.devices[1]!.docs = [{ id: W, error: "Error: boom\n at x" }];
    expect(check(threw, ledger)).toContain(`d1: reading workout ${W} back after reopen threw: Error: boom`);
    const differ = state({ d0: doc, d1: workout([{ id: "set-1", reps: 5, weight: 60 }], true) });
    expect(check(differ, ledger)).toContain(`d1 and postgres differ on workout ${W} at $.deleted: {"at":1,"hlc":"","deviceId":"x"} vs null`);
    expect(check(state({ d0: doc }, {}, 2), ledger)).toContain(`d0 knows workout ${W} at version 2, postgres has 1`);
  });
});
