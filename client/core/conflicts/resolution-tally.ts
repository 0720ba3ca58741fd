// How this device settled conflicts, by kind (fast-forward, already merged, each strategy, the
// person's choices): shown on the Sync health screen, and reported to the relay with the next
// pull (protocol version 4) so its metrics show how devices settle conflicts. Counts only.
// Kept in memory: the counts since the app opened; those not yet reported when the app closes
// are not reported (a gap in a metric, never in data).
// Specification: docs/observability.md
import type { ResolutionCount, ResolutionKind } from "../../../schema/protocol/frames.js";

export type ResolutionCounts = Pick<ResolutionCount, "kind" | "count">[];

export class ResolutionTally {
  private readonly total = new Map<ResolutionKind, number>();
  private readonly unreported = new Map<ResolutionKind, number>();

  record(kind: ResolutionKind): void {
    this.total.set(kind, (this.total.get(kind) ?? 0) + 1);
    this.unreported.set(kind, (this.unreported.get(kind) ?? 0) + 1);
  }

  /** Every kind settled since the app opened, in the enum's order. */
  totals(): ResolutionCounts {
    return counts(this.total);
  }

  /** What the relay has not been told yet; settled only by `reported` once the relay answered. */
  toReport(): ResolutionCounts {
    return counts(this.unreported);
  }

  /** The relay answered the pull that carried `sent`: those counts leave the report (what came since stays). */
  reported(sent: readonly { kind?: ResolutionKind; count?: number }[]): void {
    for (const { kind, count = 0 } of sent) {
      if (kind === undefined) continue;
      const left = (this.unreported.get(kind) ?? 0) - count;
      if (left > 0) this.unreported.set(kind, left);
      else this.unreported.delete(kind);
    }
  }
}

function counts(byKind: ReadonlyMap<ResolutionKind, number>): ResolutionCounts {
  return [...byKind].sort(([a], [b]) => a - b).map(([kind, count]) => ({ kind, count }));
}
