import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo";
import { describe, expect, it } from "vitest";
import { ENTITY_TYPES, validateDocument } from "../../schema/entities.js";
import { CONFLICT_STRATEGIES } from "../../schema/strategies.js";

const meta = { id: parseAutomergeUrl(generateAutomergeUrl()).documentId as string, createdAt: 1, updatedAt: 2, deviceId: "d1", deviceName: "Phone", hlc: "", deleted: null };

describe("entity validation", () => {
  it("accepts a workout with sets of reps, weight, unit and RPE", () => {
    const result = validateDocument("workout", {
      ...meta,
      type: "workout",
      payload: { title: "Push", startedAt: 1, completedAt: null, notes: "", exercises: [{ id: "e", name: "Bench", sets: [{ id: "s", reps: 5, weight: 100, unit: "kg", rpe: 8.5, completed: true }] }] },
    });
    expect(result.ok).toBe(true);
  });

  it("names the failing path of an invalid document", () => {
    const result = validateDocument("workout", {
      ...meta,
      type: "workout",
      payload: { title: "Push", startedAt: 1, completedAt: null, notes: "", exercises: [{ id: "e", name: "Bench", sets: [{ id: "s", reps: 5, weight: 100, unit: "stone", rpe: 11, completed: true }] }] },
    });
    expect(result).toMatchObject({ ok: false });
    expect(!result.ok && result.message).toContain("payload.exercises.0.sets.0.unit");
  });

  it("refuses an entity id that is not an Automerge document id", () => {
    const result = validateDocument("user_profile", { ...meta, id: "w1", type: "user_profile", payload: { displayName: "", preferredUnit: "kg", bodyweight: null, goals: "" } });
    expect(!result.ok && result.message).toContain("id");
  });

  it("refuses a document whose type field is not its entity type", () => {
    expect(validateDocument("user_profile", { ...meta, type: "workout", payload: {} }).ok).toBe(false);
  });

  it("every entity type has a strategy, and only workouts and progressions ask the person", () => {
    expect(Object.keys(CONFLICT_STRATEGIES).sort()).toEqual([...ENTITY_TYPES].sort());
    expect(ENTITY_TYPES.filter((t) => CONFLICT_STRATEGIES[t].userActionRequired)).toEqual(["workout", "progression"]);
  });
});
