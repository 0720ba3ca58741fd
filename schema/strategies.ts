// The source document's conflict matrix, as data. The client, the relay and the tests all read
// this table; nothing else decides how a type resolves a concurrent edit.
// Specification: docs/conflicts.md
import type { EntityType } from "./entities.js";

export type ConflictStrategy =
  /** Keep both versions; the person keeps this device's, the other's, or Automerge's merge. */
  | "user_choice"
  /**
   * The later write wins, field by field: ordered by the server version each write was built on,
   * then by its hybrid logical clock, whose wall time each device corrects to the relay's clock
   * (so "relay time" orders writes on the same version). The losing value is kept in a record.
   */
  | "last_write_wins"
  /** Last write wins for each day's entry independently. */
  | "last_write_wins_per_day"
  /** Per muscle group, the maximum of both sides, so volume is never undercounted. */
  | "max_per_group"
  /** The relay owns it; devices only read, and a device write is refused. */
  | "server_authoritative";

export interface StrategyRule {
  strategy: ConflictStrategy;
  userActionRequired: boolean;
  /** Lower syncs first after a long offline period: workouts before statistics. */
  syncPriority: number;
  /** Whether a device may push changes for this type. */
  deviceWritable: boolean;
}

export const CONFLICT_STRATEGIES: Readonly<Record<EntityType, StrategyRule>> = {
  workout: { strategy: "user_choice", userActionRequired: true, syncPriority: 0, deviceWritable: true },
  progression: { strategy: "user_choice", userActionRequired: true, syncPriority: 1, deviceWritable: true },
  user_profile: { strategy: "last_write_wins", userActionRequired: false, syncPriority: 2, deviceWritable: true },
  recovery: { strategy: "last_write_wins_per_day", userActionRequired: false, syncPriority: 3, deviceWritable: true },
  volume: { strategy: "max_per_group", userActionRequired: false, syncPriority: 4, deviceWritable: true },
  exercise_definition: {
    strategy: "server_authoritative",
    userActionRequired: false,
    syncPriority: 5,
    deviceWritable: false,
  },
};
