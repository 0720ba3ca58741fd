// A progression's rules: the next step once a target is hit, a typed target checked by the
// schema with the problem in words, and an edit that writes only what changed.
import { describe, expect, it } from "vitest";
import { changedFields, checkProgression, describeTarget, draftOf, nextStep, type Progression } from "../../../client/app/gym/progression-plan.js";

const squat: Progression = { exerciseName: "Back Squat", targetWeight: 100, unit: "kg", targetSets: 3, targetReps: 5, increment: 2.5, notes: "" };

describe("nextStep", () => {
  it("raises the weight by the increment and keeps sets and reps", () => {
    expect(nextStep(squat)).toEqual({ ...squat, targetWeight: 102.5 });
    expect(describeTarget(nextStep(nextStep(squat)))).toBe("3 × 5 × 105 kg");
  });

  it("does not drift on decimal steps and never passes the schema's 2000", () => {
    let p: Progression = { ...squat, targetWeight: 0, increment: 0.1 };
    for (let i = 0; i < 3; i++) p = nextStep(p);
    expect(p.targetWeight).toBe(0.3);
    expect(nextStep({ ...squat, targetWeight: 1999 }).targetWeight).toBe(2000);
  });

  it("keeps a zero increment where it is", () => {
    expect(nextStep({ ...squat, increment: 0 }).targetWeight).toBe(100);
  });
});

describe("checkProgression", () => {
  it("reads typed text (a comma is a decimal point) into a progression", () => {
    const checked = checkProgression({ ...draftOf(squat), targetWeight: "82,5", exerciseName: "  Bench Press " });
    expect(checked).toEqual({ ok: true, value: { ...squat, exerciseName: "Bench Press", targetWeight: 82.5 } });
  });

  it("names the field the schema refuses", () => {
    expect(checkProgression({ ...draftOf(squat), targetSets: "0" })).toMatchObject({ ok: false, message: expect.stringMatching(/^Sets: /) as unknown });
    expect(checkProgression({ ...draftOf(squat), targetWeight: "" })).toMatchObject({ ok: false, message: expect.stringMatching(/^Target weight: /) as unknown });
    expect(checkProgression({ ...draftOf(squat), exerciseName: " " })).toMatchObject({ ok: false, message: expect.stringMatching(/^Exercise: /) as unknown });
  });
});

describe("changedFields", () => {
  it("holds only the fields that differ", () => {
    expect(changedFields(squat, { ...squat, targetWeight: 105 })).toEqual({ targetWeight: 105 });
    expect(changedFields(squat, squat)).toEqual({});
  });
});
