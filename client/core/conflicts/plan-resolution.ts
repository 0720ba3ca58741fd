// What to do when this device and the relay changed the same entity concurrently: the type's
// strategy from schema/strategies.ts, plus the delete-against-edit rule every type shares.
// Pure: JSON in, a plan out. The engine applies the plan on top of Automerge's merge of both
// sides, so whatever the plan leaves alone keeps Automerge's merge.
import type { EntityDocument } from "../../../schema/entities.js";
import { assertNever } from "../../../schema/entities.js";
import { CONFLICT_STRATEGIES } from "../../../schema/strategies.js";
import { deepEqual } from "../../../schema/json.js";

export interface Side {
  doc: EntityDocument;
  /** The server version this side's latest write was built on. */
  baseVersion: number;
}

export interface ConflictInput {
  /** The document at the last version both sides shared (undefined for two creates). */
  base: EntityDocument | undefined;
  local: Side;
  server: Side;
}

export type NoticeKind =
  /** A last-write-wins value that lost; shown so the person can see and restore it. */
  | "overwritten"
  /** An edit that lost to a later delete; restorable. */
  | "edit_lost_to_delete"
  /** A deleted entity came back because an edit was later than the delete. */
  | "restored_by_edit"
  /** The relay's exercise library added or changed an exercise ("lost" says which). */
  | "library_updated"
  /** Sets a "merge both" dropped (logged into an exercise the other side removed); restorable. */
  | "dropped_by_merge";

export interface NoticeDraft {
  kind: NoticeKind;
  /** What lost, for the person to see and restore: a payload, or one day's recovery entry. */
  lost: unknown;
  /** Which part lost: "payload" or "days.2026-11-20". */
  path: string;
  losingDeviceId: string;
}

export type Plan =
  /** Keep both versions and ask the person. */
  | { kind: "ask" }
  /** The document's payload and tombstone become these values. */
  | { kind: "resolve"; payload: unknown; deleted: EntityDocument["deleted"]; notices: NoticeDraft[] };

export function planResolution(input: ConflictInput): Plan {
  const byDelete = deleteAgainstEdit(input);
  if (byDelete) return byDelete;
  const { local, server } = input;
  const rule = CONFLICT_STRATEGIES[local.doc.type];
  switch (rule.strategy) {
    case "user_choice":
      return { kind: "ask" };
    case "server_authoritative":
      return { kind: "resolve", payload: server.doc.payload, deleted: server.doc.deleted, notices: [] };
    case "last_write_wins": {
      const [winner, loser] = laterWrite(local, server) === "local" ? [local, server] : [server, local];
      const notices: NoticeDraft[] = deepEqual(winner.doc.payload, loser.doc.payload)
        ? []
        : [{ kind: "overwritten", lost: loser.doc.payload, path: "payload", losingDeviceId: loser.doc.deviceId }];
      return { kind: "resolve", payload: winner.doc.payload, deleted: null, notices };
    }
    case "last_write_wins_per_day":
      return recoveryPerDay(input);
    case "max_per_group":
      return volumeMax(input);
    default:
      return assertNever(rule.strategy);
  }
}

/**
 * Which side wrote last: the write built on the newer server version first (clock skew cannot
 * change that), then the hybrid logical clock of the last change.
 */
export function laterWrite(local: Side, server: Side): "local" | "server" {
  if (local.baseVersion !== server.baseVersion) return local.baseVersion > server.baseVersion ? "local" : "server";
  return local.doc.hlc > server.doc.hlc ? "local" : "server";
}

function deleteAgainstEdit({ base, local, server }: ConflictInput): Plan | undefined {
  const localDeleted = local.doc.deleted !== null;
  const serverDeleted = server.doc.deleted !== null;
  if (localDeleted === serverDeleted) {
    if (localDeleted) return { kind: "resolve", payload: server.doc.payload, deleted: server.doc.deleted, notices: [] };
    return undefined;
  }
  const [deleter, editor] = localDeleted ? [local, server] : [server, local];
  const edited = !base || !deepEqual(editor.doc.payload, base.payload);
  if (!edited) return { kind: "resolve", payload: deleter.doc.payload, deleted: deleter.doc.deleted, notices: [] };
  const deleteLater = deleter.doc.deleted!.hlc > editor.doc.hlc;
  if (deleteLater) {
    return {
      kind: "resolve",
      payload: deleter.doc.payload,
      deleted: deleter.doc.deleted,
      notices: [{ kind: "edit_lost_to_delete", lost: editor.doc.payload, path: "payload", losingDeviceId: editor.doc.deviceId }],
    };
  }
  return {
    kind: "resolve",
    payload: editor.doc.payload,
    deleted: null,
    notices: [{ kind: "restored_by_edit", lost: null, path: "payload", losingDeviceId: deleter.doc.deviceId }],
  };
}

type Days = Record<string, unknown>;

function recoveryPerDay({ base, local, server }: ConflictInput): Plan {
  const localDays = (local.doc.payload as { days: Days }).days;
  const serverDays = (server.doc.payload as { days: Days }).days;
  const baseDays = ((base?.payload as { days?: Days } | undefined)?.days ?? {}) as Days;
  const winnerSide = laterWrite(local, server);
  const days: Days = {};
  const notices: NoticeDraft[] = [];
  for (const day of new Set([...Object.keys(localDays), ...Object.keys(serverDays)])) {
    const l = localDays[day];
    const s = serverDays[day];
    const localChanged = !deepEqual(l, baseDays[day]);
    const serverChanged = !deepEqual(s, baseDays[day]);
    let value: unknown;
    if (localChanged && serverChanged && !deepEqual(l, s)) {
      const [win, lose, loser] = winnerSide === "local" ? [l, s, server] : [s, l, local];
      value = win;
      notices.push({ kind: "overwritten", lost: lose ?? null, path: `days.${day}`, losingDeviceId: loser.doc.deviceId });
    } else {
      value = localChanged ? l : s;
    }
    if (value !== undefined) days[day] = value;
  }
  return { kind: "resolve", payload: { ...(server.doc.payload as object), days }, deleted: null, notices };
}

function volumeMax({ local, server }: ConflictInput): Plan {
  type Groups = Record<string, { sets: number }>;
  const l = (local.doc.payload as { muscleGroups: Groups }).muscleGroups;
  const s = (server.doc.payload as { muscleGroups: Groups }).muscleGroups;
  const muscleGroups: Groups = {};
  for (const group of new Set([...Object.keys(l), ...Object.keys(s)])) {
    muscleGroups[group] = { sets: Math.max(l[group]?.sets ?? 0, s[group]?.sets ?? 0) };
  }
  return { kind: "resolve", payload: { ...(server.doc.payload as object), muscleGroups }, deleted: null, notices: [] };
}
