// The six entity types and their runtime validation. Every entity is one Automerge document
// whose root is an EntityDocument: metadata beside a typed payload. The server-assigned version
// is NOT in the document; it lives in the device's sync metadata and the relay's row.
//
// Automerge cannot store `undefined`, so optional values are `null`, never absent-by-undefined.
// Specification: docs/data-model.md
import { isValidDocumentId } from "@automerge/automerge-repo/slim";
import { z } from "zod";
import { upgradeDocument } from "./document-version.js";

// Every object schema is strict: an unknown key is refused, not stripped, so what a store keeps
// is exactly what validated (a stripped key would still be in the Automerge document and in the
// relay's jsonb copy of it).

export const ENTITY_TYPES = [
  "workout",
  "progression",
  "user_profile",
  "recovery",
  "volume",
  "exercise_definition",
] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export function isEntityType(value: string): value is EntityType {
  return (ENTITY_TYPES as readonly string[]).includes(value);
}

/** Entity ids are Automerge Repo document ids (base58check of 16 bytes), so every device can store them. */
export const entityIdSchema = z.string().max(64).refine((id): boolean => isValidDocumentId(id), "entity id must be an Automerge document id");

const unit = z.enum(["kg", "lb"]);
const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a day as YYYY-MM-DD");
// zod 4 numbers refuse Infinity and NaN already.
const nonNegative = z.number().nonnegative();
const shortText = z.string().max(200);
const longText = z.string().max(5000);

/** A device, as the person knows it: its id and the name they gave it. */
export const deviceRefSchema = z.strictObject({ id: z.string().min(1).max(128), name: z.string().max(100) });
export type DeviceRef = z.infer<typeof deviceRefSchema>;

export const workoutSetSchema = z.strictObject({
  id: z.string().min(1).max(64),
  reps: z.number().int().min(0).max(1000),
  weight: nonNegative.max(2000),
  unit,
  rpe: z.number().min(1).max(10).nullable(),
  completed: z.boolean(),
  /**
   * Set when "merge both" kept two versions of one set (both sides changed it differently): this
   * is the other side's version of `setId`, shown beside it and marked, never blended into it.
   */
  keptFrom: z.strictObject({ setId: z.string().min(1).max(64), device: deviceRefSchema }).optional(),
});

export const workoutExerciseSchema = z.strictObject({
  id: z.string().min(1).max(64),
  name: shortText.min(1),
  sets: z.array(workoutSetSchema).max(200),
});

export const workoutSchema = z.strictObject({
  title: shortText,
  startedAt: z.number().int().nonnegative(),
  completedAt: z.number().int().nonnegative().nullable(),
  notes: longText,
  exercises: z.array(workoutExerciseSchema).max(100),
});

export const progressionSchema = z.strictObject({
  exerciseName: shortText.min(1),
  targetWeight: nonNegative.max(2000),
  unit,
  targetSets: z.number().int().min(1).max(50),
  targetReps: z.number().int().min(1).max(1000),
  increment: nonNegative.max(100),
  notes: longText,
});

export const userProfileSchema = z.strictObject({
  displayName: shortText,
  preferredUnit: unit,
  bodyweight: nonNegative.max(1000).nullable(),
  goals: longText,
  /** The weight step of the app's steppers, in `preferredUnit` (absent: 2.5 kg, 5 lb). */
  plateIncrement: z.number().positive().max(100).optional(),
  /** Rest between sets, started when a set is checked off (absent: 90 s). */
  restSeconds: z.number().int().min(0).max(3600).optional(),
});

export const recoveryDaySchema = z.strictObject({
  sleepHours: z.number().min(0).max(24).nullable(),
  soreness: z.number().int().min(0).max(10).nullable(),
  readiness: z.number().int().min(0).max(10).nullable(),
  note: longText,
});

/** Recovery entries keyed by day; conflicts resolve last-write-wins per day. */
export const recoverySchema = z.strictObject({
  days: z.record(isoDay, recoveryDaySchema),
});

/** Weekly working sets per muscle group; conflicts take the maximum per group. */
export const volumeSchema = z.strictObject({
  weekStart: isoDay,
  muscleGroups: z.record(z.string().min(1).max(64), z.strictObject({ sets: z.number().int().min(0).max(10000) })),
});

export const exerciseDefinitionSchema = z.strictObject({
  name: shortText.min(1),
  muscleGroups: z.array(z.string().min(1).max(64)).max(20),
  equipment: shortText,
  description: longText,
});

export const payloadSchemas = {
  workout: workoutSchema,
  progression: progressionSchema,
  user_profile: userProfileSchema,
  recovery: recoverySchema,
  volume: volumeSchema,
  exercise_definition: exerciseDefinitionSchema,
} as const satisfies Record<EntityType, z.ZodType>;

export type Payloads = { [T in EntityType]: z.infer<(typeof payloadSchemas)[T]> };
export type WorkoutSet = z.infer<typeof workoutSetSchema>;
export type WorkoutExercise = z.infer<typeof workoutExerciseSchema>;

/** A deletion. The entity's document stays (history is needed to merge); this marks it gone. */
export const tombstoneSchema = z.strictObject({
  at: z.number().int().nonnegative(),
  hlc: z.string().max(200),
  deviceId: z.string().max(128),
  /**
   * The server version the deleting device had: a delete built on an older version is the earlier
   * write. Always written from schema version 2 (schema/document-version.ts upgrades older ones).
   */
  baseVersion: z.number().int().nonnegative(),
});

/**
 * What a conflict was resolved to without asking the person, or what their choice could not keep.
 * Kept inside the entity's document, so it syncs with it and every device of the person shows it.
 *
 * `lost` by kind:
 * - overwritten: `{ value }`, the losing value at `path` (a last write that lost, a field typed
 *   over a change that arrived meanwhile, one of two names a merge had to pick between);
 * - edit_lost_to_delete: `{ sets }` the losing edit's new or changed sets (workouts), or
 *   `{ value }` its payload; the content is still in the tombstoned document;
 * - dropped_by_merge: `{ sets }` the merge could not place (logged into an exercise the other
 *   side removed, or changed on one side and removed on the other);
 * - restored_by_edit and kept_both: nothing was lost (`{}`); they only inform.
 */
export const RESOLUTION_KINDS = ["overwritten", "edit_lost_to_delete", "restored_by_edit", "dropped_by_merge", "kept_both"] as const;
export type ResolutionKind = (typeof RESOLUTION_KINDS)[number];

export const lostSetSchema = z.strictObject({
  exerciseId: z.string().min(1).max(64),
  exerciseName: shortText,
  set: workoutSetSchema,
});
export type LostSet = z.infer<typeof lostSetSchema>;

export const resolutionSchema = z.strictObject({
  id: z.string().min(1).max(200),
  kind: z.enum(RESOLUTION_KINDS),
  /** When it was settled (the settling device's clock, corrected to the relay's), ms since epoch. */
  at: z.number().int().nonnegative(),
  /** The device that settled it. */
  by: deviceRefSchema,
  /** The device whose change lost, when one did. */
  losing: deviceRefSchema.nullable(),
  /** Where in the document: ["payload", "bodyweight"], ["payload", "exercises", "[ex-1]", "name"]; list elements by id in brackets. */
  path: z.array(z.string().max(200)).max(10),
  lost: z.strictObject({ value: z.json().optional(), sets: z.array(lostSetSchema).max(200).optional() }),
  /** Set once someone brought the lost part back (on any device). */
  restoredAt: z.number().int().nonnegative().nullable(),
});
export type Resolution = z.infer<typeof resolutionSchema>;

/** Records kept per document; the oldest (restored first) give way. */
export const MAX_RESOLUTIONS = 50;

const metaShape = {
  id: entityIdSchema,
  createdAt: z.number().int().nonnegative(),
  /** The device that created it (absent in documents made before it was kept). */
  createdBy: deviceRefSchema.optional(),
  updatedAt: z.number().int().nonnegative(),
  /** The device that made the last change, and its name as the person sees it. */
  deviceId: z.string().min(1).max(128),
  deviceName: z.string().max(100),
  /** Hybrid logical clock of the last change: orders last-write-wins under clock skew. */
  hlc: z.string().max(200),
  /**
   * The server version the last change was built on: orders last writes before any clock does.
   * Always written from schema version 2 (schema/document-version.ts upgrades older ones).
   */
  baseVersion: z.number().int().nonnegative(),
  deleted: tombstoneSchema.nullable(),
  resolutions: z.array(resolutionSchema).max(MAX_RESOLUTIONS * 2).optional(),
};

function documentSchema<T extends EntityType>(type: T) {
  return z.strictObject({ type: z.literal(type), ...metaShape, payload: payloadSchemas[type] });
}

export const documentSchemas = {
  workout: documentSchema("workout"),
  progression: documentSchema("progression"),
  user_profile: documentSchema("user_profile"),
  recovery: documentSchema("recovery"),
  volume: documentSchema("volume"),
  exercise_definition: documentSchema("exercise_definition"),
} as const;

export type EntityDocument<T extends EntityType = EntityType> = {
  [K in T]: z.infer<(typeof documentSchemas)[K]>;
}[T];

export type ValidationResult<T extends EntityType> =
  | { ok: true; value: EntityDocument<T> }
  | { ok: false; message: string };

/**
 * Validate a whole document root against its type, as this schema version reads it: a document of
 * an older version validates as its upgrade (schema/document-version.ts),, and the value returned
 * is the upgraded one (`value` itself is never changed). The message names the failing paths.
 */
export function validateDocument<T extends EntityType>(type: T, value: unknown): ValidationResult<T> {
  const parsed = documentSchemas[type].safeParse(upgradeDocument(value));
  if (parsed.success) return { ok: true, value: parsed.data as EntityDocument<T> };
  const message = parsed.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  return { ok: false, message: `invalid ${type}: ${message}` };
}

/** The small record a list draws from, so a list never loads every document. */
export interface EntitySummary {
  type: EntityType;
  id: string;
  /** ms since epoch: a workout's start, else the last change. */
  date: number;
  title: string;
  deleted: boolean;
  /** The device that created it, when the document says. */
  createdBy?: DeviceRef;
  /** Written by a newer version of the app: kept, not readable here (schema/document-version.ts). */
  tooNew?: true;
}

export function summarize(doc: EntityDocument): EntitySummary {
  const base = { type: doc.type, id: doc.id, deleted: doc.deleted !== null, ...(doc.createdBy ? { createdBy: doc.createdBy } : {}) };
  switch (doc.type) {
    case "workout":
      return { ...base, date: doc.payload.startedAt, title: doc.payload.title || "Workout" };
    case "progression":
      return { ...base, date: doc.updatedAt, title: doc.payload.exerciseName };
    case "user_profile":
      return { ...base, date: doc.updatedAt, title: doc.payload.displayName || "Profile" };
    case "recovery":
      return { ...base, date: doc.updatedAt, title: "Recovery" };
    case "volume":
      return { ...base, date: doc.updatedAt, title: `Volume, week of ${doc.payload.weekStart}` };
    case "exercise_definition":
      return { ...base, date: doc.updatedAt, title: doc.payload.name };
    default:
      return assertNever(doc);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
