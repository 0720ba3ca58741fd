// The strategy table applied to concurrent edits, as pure functions.
import { describe, expect, it } from "vitest";
import { laterWrite, planResolution, type Side } from "../../client/core/conflicts/plan-resolution.js";
import type { EntityDocument } from "../../schema/entities.js";

function doc<T extends EntityDocument["type"]>(type: T, payload: unknown, hlc: string, deleted: EntityDocument["deleted"] = null): EntityDocument {
  return { type, id: "e1", createdAt: 1, updatedAt: 1, deviceId: `dev-${hlc}`, deviceName: "d", hlc, deleted, payload } as EntityDocument;
}
const side = (d: EntityDocument, baseVersion: number): Side => ({ doc: d, baseVersion });
const hlc = (ms: number) => `${String(ms).padStart(15, "0")}:000000:x`;

describe("laterWrite", () => {
  it("the write built on the newer version wins even when its clock is hours behind", () => {
    const local = side(doc("user_profile", {}, hlc(10 * 3600_000)), 1);
    const server = side(doc("user_profile", {}, hlc(1)), 2);
    expect(laterWrite(local, server)).toBe("server");
  });
  it("on the same version, the later hybrid clock wins", () => {
    expect(laterWrite(side(doc("user_profile", {}, hlc(5)), 2), side(doc("user_profile", {}, hlc(4)), 2))).toBe("local");
  });
});

describe("planResolution", () => {
  it("asks the person for workouts and progressions", () => {
    for (const type of ["workout", "progression"] as const) {
      expect(planResolution({ base: undefined, local: side(doc(type, {}, hlc(2)), 1), server: side(doc(type, {}, hlc(3)), 1) })).toEqual({ kind: "ask" });
    }
  });

  it("takes the relay's exercise definition", () => {
    const server = doc("exercise_definition", { name: "Squat" }, hlc(1));
    expect(planResolution({ base: undefined, local: side(doc("exercise_definition", { name: "Sqaut" }, hlc(9)), 1), server: side(server, 1) })).toMatchObject({
      kind: "resolve",
      payload: { name: "Squat" },
    });
  });

  it("volume takes the maximum of each muscle group, including groups only one side has", () => {
    const plan = planResolution({
      base: undefined,
      local: side(doc("volume", { weekStart: "2026-11-16", muscleGroups: { chest: { sets: 3 }, legs: { sets: 9 } } }, hlc(1)), 1),
      server: side(doc("volume", { weekStart: "2026-11-16", muscleGroups: { chest: { sets: 5 } } }, hlc(2)), 1),
    });
    expect(plan).toMatchObject({ kind: "resolve", payload: { muscleGroups: { chest: { sets: 5 }, legs: { sets: 9 } } }, notices: [] });
  });

  it("a delete against an unedited side is simply a delete, with no notice", () => {
    const base = doc("workout", { title: "A" }, hlc(1));
    const plan = planResolution({
      base,
      local: side(doc("workout", { title: "A" }, hlc(1), { at: 5, hlc: hlc(5), deviceId: "x" }), 1),
      server: side(doc("workout", { title: "A" }, hlc(1)), 1),
    });
    expect(plan).toMatchObject({ kind: "resolve", deleted: { hlc: hlc(5) }, notices: [] });
  });
});
