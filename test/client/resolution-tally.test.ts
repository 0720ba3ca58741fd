// A device's count of settled conflicts, by entity type and kind: shown since the app opened,
// and reported to the relay until a pull that carried them is answered, never twice and never
// dropped meanwhile.
import { describe, expect, it } from "vitest";
import { ResolutionTally } from "../../client/core/conflicts/resolution-tally.js";
import { ResolutionKind } from "../../schema/protocol/frames.js";

describe("the tally of settled conflicts", () => {
  it("counts by entity type and kind; a report leaves it once answered, what was settled meanwhile stays to report", () => {
    const tally = new ResolutionTally();
    tally.record("recovery", ResolutionKind.LAST_WRITE_WINS);
    tally.record("workout", ResolutionKind.CHOSE_MERGE);
    tally.record("user_profile", ResolutionKind.LAST_WRITE_WINS);
    tally.record("recovery", ResolutionKind.LAST_WRITE_WINS);
    const sent = tally.toReport();
    // By type in ENTITY_TYPES' order, then by kind; one type's count never lands on another's.
    expect(sent).toEqual([
      { entityType: "workout", kind: ResolutionKind.CHOSE_MERGE, count: 1 },
      { entityType: "user_profile", kind: ResolutionKind.LAST_WRITE_WINS, count: 1 },
      { entityType: "recovery", kind: ResolutionKind.LAST_WRITE_WINS, count: 2 },
    ]);
    tally.record("user_profile", ResolutionKind.LAST_WRITE_WINS); // settled while the pull was on its way
    tally.reported(sent);
    expect(tally.toReport()).toEqual([{ entityType: "user_profile", kind: ResolutionKind.LAST_WRITE_WINS, count: 1 }]);
    expect(tally.totals()).toEqual([
      { entityType: "workout", kind: ResolutionKind.CHOSE_MERGE, count: 1 },
      { entityType: "user_profile", kind: ResolutionKind.LAST_WRITE_WINS, count: 2 },
      { entityType: "recovery", kind: ResolutionKind.LAST_WRITE_WINS, count: 2 },
    ]);
  });

  it("an answered report settles only the rows of its own type: the same kind of another type stays to report", () => {
    const tally = new ResolutionTally();
    tally.record("volume", ResolutionKind.FAST_FORWARD);
    tally.record("workout", ResolutionKind.FAST_FORWARD);
    tally.reported([{ entityType: "workout", kind: ResolutionKind.FAST_FORWARD, count: 1 }]);
    expect(tally.toReport()).toEqual([{ entityType: "volume", kind: ResolutionKind.FAST_FORWARD, count: 1 }]);
    // A row of a type this device never counted (or none, as from version 4) settles nothing.
    tally.reported([{ entityType: "", kind: ResolutionKind.FAST_FORWARD, count: 1 }]);
    expect(tally.toReport()).toEqual([{ entityType: "volume", kind: ResolutionKind.FAST_FORWARD, count: 1 }]);
  });

  it("a report whose pull failed (never answered) is sent again whole", () => {
    const tally = new ResolutionTally();
    tally.record("volume", ResolutionKind.MAX_MERGE);
    expect(tally.toReport()).toEqual([{ entityType: "volume", kind: ResolutionKind.MAX_MERGE, count: 1 }]);
    expect(tally.toReport()).toEqual([{ entityType: "volume", kind: ResolutionKind.MAX_MERGE, count: 1 }]);
  });
});
