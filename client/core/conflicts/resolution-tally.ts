// How this device settled conflicts, by entity type and kind (fast-forward, already merged, each
// strategy, the person's choices): shown on the Sync health screen, and reported to the relay
// with the next pull (protocol version 4 on; the entity type from version 5) so its metrics show
// how devices settle conflicts. Counts only.
// Kept in memory: the counts since the app opened; those not yet reported when the app closes
// are not reported (a gap in a metric, never in data).
// Specification: docs/observability.md
import { ENTITY_TYPES, type EntityType } from "../../../schema/entities.js";
import type { ResolutionCount, ResolutionKind } from "../../../schema/protocol/frames.js";

/** Rows of the protocol's ResolutionCount, with the entity type as this device knows it. */
export type ResolutionCounts = ResolutionRow[];
type ResolutionRow = Pick<ResolutionCount, "kind" | "count"> & { entityType: EntityType };

/** One (entity type, kind) pair as a map key. */
const keyOf = (entityType: string, kind: ResolutionKind) => `${entityType}/${kind}`;

export class ResolutionTally {
  private readonly total = new Map<string, ResolutionRow>();
  private readonly unreported = new Map<string, ResolutionRow>();

  record(entityType: EntityType, kind: ResolutionKind): void {
    for (const rows of [this.total, this.unreported]) {
      const row = rows.get(keyOf(entityType, kind));
      if (row) row.count += 1;
      else rows.set(keyOf(entityType, kind), { entityType, kind, count: 1 });
    }
  }

  /** Every (type, kind) settled since the app opened, by type (ENTITY_TYPES' order), then kind. */
  totals(): ResolutionCounts {
    return sorted(this.total);
  }

  /** What the relay has not been told yet; settled only by `reported` once the relay answered. */
  toReport(): ResolutionCounts {
    return sorted(this.unreported);
  }

  /** The relay answered the pull that carried `sent`: those counts leave the report (what came since stays). */
  reported(sent: readonly { entityType?: string; kind?: ResolutionKind; count?: number }[]): void {
    for (const { entityType = "", kind, count = 0 } of sent) {
      if (kind === undefined) continue;
      const row = this.unreported.get(keyOf(entityType, kind));
      if (!row) continue;
      row.count -= count;
      if (row.count <= 0) this.unreported.delete(keyOf(entityType, kind));
    }
  }
}

/** Copies, so a report on its way is not changed by what is settled meanwhile. */
function sorted(rows: ReadonlyMap<string, ResolutionRow>): ResolutionCounts {
  return [...rows.values()]
    .map((row) => ({ ...row }))
    .sort((a, b) => ENTITY_TYPES.indexOf(a.entityType) - ENTITY_TYPES.indexOf(b.entityType) || a.kind - b.kind);
}
