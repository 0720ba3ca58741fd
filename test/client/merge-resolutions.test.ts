// Resolution records live in the document, in one list. A document without records gets its list
// from the first device that settles something in it; two devices that each did so on the same
// version made the list twice (a concurrent put of one key), and Automerge's merge shows one of
// the two. The settlement that merges them must keep the records of both, or the sets one names
// are lost without a trace (found by the property, seed 20261204, run 28).
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo/slim";
import { describe, expect, it } from "vitest";
import type { Resolution } from "../../schema/entities.js";
import { openEntityStore, v1Document } from "../support/entity-store.js";

/** A deleted workout without records, as a release of schema version 1 stored it. */
const deletedWorkout = v1Document("v1-workout-deleted");

function record(id: string, setId: string, device: string): Resolution {
  return {
    id,
    kind: "edit_lost_to_delete",
    at: 1_800_000_000_000,
    by: { id: device, name: device },
    losing: { id: device, name: device },
    path: ["payload"],
    lost: { sets: [{ exerciseId: "ex", exerciseName: "Squat", set: { id: setId, reps: 5, weight: 100, unit: "kg", rpe: null, completed: true } }] },
    restoredAt: null,
  };
}

/** The workout as one device left it after settling: its own first list of records. */
function settledWith(r: Resolution): Uint8Array {
  const doc = A.change(A.load<{ resolutions?: Resolution[] }>(deletedWorkout), (d) => {
    d.resolutions = [r];
  });
  return A.save(doc);
}

describe("a merge of two devices' first resolution lists", () => {
  it("keeps the records of both", async () => {
    const store = await openEntityStore("merge-resolutions");
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    const phone = record("phone#0", "s3", "phone");
    const tablet = record("tablet#0", "s4", "tablet");
    await store.adopt("workout", id, settledWith(phone), { serverVersion: 3, serverTime: 1_800_000_000_000 });
    const tabletSettled = A.load(settledWith(tablet));
    // The two lists really compete for one key: the merge alone shows one of them.
    const bare = A.merge(A.load(settledWith(phone)), tabletSettled);
    expect(Object.keys(A.getConflicts(bare, "resolutions") ?? {})).toHaveLength(2);

    await store.mergeAndSettle(id, A.save(tabletSettled), ({ merged }) => merged);
    expect((await store.json(id)).resolutions?.map((r) => r.id).sort()).toEqual(["phone#0", "tablet#0"]);
    expect(store.record(id)?.resolutions?.map((r) => r.id).sort()).toEqual(["phone#0", "tablet#0"]);
  });
});
