// The kinds of conflict settlement and the entity types they settled, in the person's words,
// for the Sync health screen.
// Specification: docs/observability.md
import { ResolutionKind, type EntityType } from "../../core/index.js";

const TYPE_WORDS: Readonly<Record<EntityType, string>> = {
  workout: "Workout",
  progression: "Progression",
  user_profile: "Profile",
  recovery: "Recovery",
  volume: "Weekly volume",
  exercise_definition: "Exercise library",
};

export function entityTypeInWords(type: EntityType): string {
  return TYPE_WORDS[type];
}

const WORDS: Readonly<Record<ResolutionKind, string>> = {
  [ResolutionKind.UNSPECIFIED]: "Other",
  [ResolutionKind.FAST_FORWARD]: "Took the newer version (nothing lost)",
  [ResolutionKind.ALREADY_MERGED]: "Already had it from a nearby device",
  [ResolutionKind.LAST_WRITE_WINS]: "Kept the later change",
  [ResolutionKind.MAX_MERGE]: "Kept the higher volume",
  [ResolutionKind.SERVER_AUTHORITATIVE]: "Kept the shared library's version",
  [ResolutionKind.DELETE_VS_EDIT]: "Delete against edit: kept the later",
  [ResolutionKind.CHOSE_MINE]: "You chose this device's version",
  [ResolutionKind.CHOSE_THEIRS]: "You chose the other device's version",
  [ResolutionKind.CHOSE_MERGE]: "You chose to merge both",
};

export function settledInWords(kind: ResolutionKind): string {
  return WORDS[kind];
}
