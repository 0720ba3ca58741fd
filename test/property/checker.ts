// The checker: judges the final state of a run (every device reopened on its folder and read
// back, and the relay's rows read straight from Postgres) against the ledger the test kept on its
// own. Jepsen-style: it never asks the system what should be there. Returns every violation found,
// each one line (the trace says how the run got there).
import type { EntityDocument, EntityListItem } from "../../client/core/index.js";
import type { ReadBack, Resolution } from "./host-protocol.js";
import { firstDifference, isLiveWorkout, setsOf, type Ledger, type SetView } from "./ledger.js";
import type { RelayRow } from "./relay-under-test.js";

export interface DeviceFinal {
  name: string;
  items: EntityListItem[];
  docs: ReadBack[];
  resolutions: Resolution[];
}

export interface FinalState {
  devices: DeviceFinal[];
  /** The user's rows and the exercise library's. */
  rows: RelayRow[];
}

/** Where a set is shown: a device's name, or "postgres". */
interface Replica {
  name: string;
  docs: { id: string; doc: unknown }[];
}

export function check(state: FinalState, ledger: Ledger): string[] {
  const violations: string[] = [];
  const add = (message: string) => {
    if (!violations.includes(message)) violations.push(message);
  };

  // 1. Every document reads back after the reopen: not {}, not a throw.
  for (const device of state.devices) {
    const types = new Map(device.items.map((i) => [i.id, i.type]));
    for (const read of device.docs) {
      if (read.error !== undefined) add(`${device.name}: reading ${types.get(read.id)} ${read.id} back after reopen threw: ${firstLine(read.error)}`);
      else if (!isWhole(read.doc, read.id)) add(`${device.name}: ${types.get(read.id)} ${read.id} reads ${JSON.stringify(read.doc ?? "nothing").slice(0, 80)} after reopen (its document is gone)`);
    }
  }

  // 2. The relay's materialised JSON is its document.
  for (const row of state.rows) {
    const stale = firstDifference(row.doc, row.data);
    if (stale) add(`postgres row ${row.entityType} ${row.entityId}: the data column differs from the decoded doc at ${stale}`);
  }

  // 3. All replicas identical, every device knowing the relay's version.
  const rowsById = new Map(state.rows.map((r) => [r.entityId, r]));
  for (const device of state.devices) {
    const docs = new Map(device.docs.map((d) => [d.id, d.doc]));
    const ids = new Set(device.items.map((i) => i.id));
    const missing = [...rowsById.keys()].filter((id) => !ids.has(id));
    const extra = [...ids].filter((id) => !rowsById.has(id));
    if (missing.length) add(`${device.name} lacks ${missing.map((id) => `${rowsById.get(id)!.entityType} ${id}`).join(", ")} that postgres holds`);
    if (extra.length) add(`${device.name} holds ${extra.join(", ")} that postgres does not`);
    for (const item of device.items) {
      const row = rowsById.get(item.id);
      if (!row) continue;
      if (item.serverVersion !== row.version) add(`${device.name} knows ${item.type} ${item.id} at version ${item.serverVersion}, postgres has ${row.version}`);
      const doc = docs.get(item.id);
      if (doc === undefined || !isWhole(doc, item.id)) continue; // reported above
      const differs = firstDifference(doc, row.doc);
      if (differs) add(`${device.name} and postgres differ on ${item.type} ${item.id} at ${differs}`);
    }
  }

  const replicas: Replica[] = [
    ...state.devices.map((d) => ({ name: d.name, docs: d.docs.map((r) => ({ id: r.id, doc: r.doc })) })),
    { name: "postgres", docs: state.rows.map((r) => ({ id: r.entityId, doc: r.doc })) },
  ];

  // 4. No set shown twice; every shown set holds values someone entered for it.
  const shown = new Map<string, Map<string, { set: SetView; workoutId: string }>>(); // replica -> set id -> where
  for (const replica of replicas) {
    const sets = new Map<string, { set: SetView; workoutId: string }>();
    shown.set(replica.name, sets);
    for (const { id, doc } of replica.docs) {
      if (!isLiveWorkout(doc)) continue;
      for (const set of setsOf(doc)) {
        const before = sets.get(set.id);
        if (before) add(`${replica.name}: ${set.id} is shown twice (workout ${before.workoutId} and workout ${id})`);
        sets.set(set.id, { set, workoutId: id });
        const original = set.keptFrom?.setId ?? set.id;
        const facts = ledger.facts(original);
        if (!facts) {
          add(`${replica.name}: ${set.id}${set.keptFrom ? ` (kept from ${original})` : ""} in workout ${id} is a set nobody logged`);
        } else if (!facts.entered.some(([reps, weight]) => reps === set.reps && weight === set.weight)) {
          add(
            `${replica.name}: ${set.id}${set.keptFrom ? ` (kept from ${original})` : ""} in workout ${id} holds ${set.reps}x${set.weight}, which nobody entered (entered: ${facts.entered.map(([r, w]) => `${r}x${w}`).join(", ")})`,
          );
        }
      }
    }
  }
  const isShownOn = (replica: string, setId: string) => {
    const sets = shown.get(replica)!;
    if (sets.has(setId)) return true;
    for (const { set } of sets.values()) if (set.keptFrom?.setId === setId) return true;
    return false;
  };

  // 5. Every set a device reported saved is on every replica, or named in a record on every device.
  const namedOn = (device: DeviceFinal, setId: string) => device.resolutions.some((r) => JSON.stringify(r.lost ?? null).includes(`"${setId}"`));
  for (const facts of ledger.sets.values()) {
    if (facts.saved === undefined || facts.everRemoved) continue;
    const absent = replicas.filter((r) => !isShownOn(r.name, facts.id)).map((r) => r.name);
    if (absent.length === 0) continue;
    const named = state.devices.filter((d) => namedOn(d, facts.id)).map((d) => d.name);
    if (named.length === state.devices.length) continue;
    add(
      `${facts.id} (saved by ${facts.saved}) is lost: not shown on ${absent.join(", ")}` +
        (named.length ? `, and named in a record on ${named.join(", ")} only` : ", and named in no record"),
    );
  }

  // 6. Nothing removed on purpose comes back unless a later deliberate act brought it back.
  const revived = new Set(state.devices.flatMap((d) => d.resolutions.filter((r) => r.kind === "restored_by_edit").map((r) => r.entityId)));
  for (const facts of ledger.sets.values()) {
    if (!ledger.staysRemoved(facts)) continue;
    const removal = facts.removed!;
    if (removal.workoutId && revived.has(removal.workoutId)) continue;
    const back = replicas.filter((r) => isShownOn(r.name, facts.id)).map((r) => r.name);
    if (back.length) add(`${facts.id} (${removal.why}) is back on ${back.join(", ")}`);
  }
  return violations;
}

/** A document that read back as what it is, not as an empty or partial object. */
function isWhole(doc: unknown, id: string): boolean {
  if (typeof doc !== "object" || doc === null) return false;
  // Read back at run time: any shape at all, whatever the type says.
  const d = doc as { [K in keyof EntityDocument]?: unknown };
  return d.id === id && typeof d.type === "string" && typeof d.payload === "object" && d.payload !== null;
}

function firstLine(text: string): string {
  return text.split("\n")[0]!;
}
