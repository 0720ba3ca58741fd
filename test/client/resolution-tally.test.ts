// A device's count of settled conflicts: shown since the app opened, and reported to the relay
// until a pull that carried them is answered, never twice and never dropped meanwhile.
import { describe, expect, it } from "vitest";
import { ResolutionTally } from "../../client/core/conflicts/resolution-tally.js";
import { ResolutionKind } from "../../schema/protocol/frames.js";

describe("the tally of settled conflicts", () => {
  it("counts by kind; a report leaves it once answered, what was settled meanwhile stays to report", () => {
    const tally = new ResolutionTally();
    tally.record(ResolutionKind.LAST_WRITE_WINS);
    tally.record(ResolutionKind.CHOSE_MERGE);
    tally.record(ResolutionKind.LAST_WRITE_WINS);
    const sent = tally.toReport();
    expect(sent).toEqual([
      { kind: ResolutionKind.LAST_WRITE_WINS, count: 2 },
      { kind: ResolutionKind.CHOSE_MERGE, count: 1 },
    ]);
    tally.record(ResolutionKind.LAST_WRITE_WINS); // settled while the pull was on its way
    tally.reported(sent);
    expect(tally.toReport()).toEqual([{ kind: ResolutionKind.LAST_WRITE_WINS, count: 1 }]);
    expect(tally.totals()).toEqual([
      { kind: ResolutionKind.LAST_WRITE_WINS, count: 3 },
      { kind: ResolutionKind.CHOSE_MERGE, count: 1 },
    ]);
  });

  it("a report whose pull failed (never answered) is sent again whole", () => {
    const tally = new ResolutionTally();
    tally.record(ResolutionKind.MAX_MERGE);
    expect(tally.toReport()).toEqual([{ kind: ResolutionKind.MAX_MERGE, count: 1 }]);
    expect(tally.toReport()).toEqual([{ kind: ResolutionKind.MAX_MERGE, count: 1 }]);
  });
});
