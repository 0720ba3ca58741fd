// One run of the convergence property: open the devices, play the steps, heal everything, sync
// until nothing moves, then check what the issue asks:
// - every replica and the relay hold identical documents (and every device knows the relay's
//   version; the relay's materialised JSON matches its document);
// - every set shown as saved is in the final data, or in a notice, unless the person removed it
//   (and no set is shown twice);
// - conflict records arise only for workout and progression (checked on every client event);
// and, beside them: heal reaches quiescence (no item stuck unsynced), and no exception escapes
// the client or the relay into a socket or timer callback.
import * as A from "@automerge/automerge";
import type { EntityType } from "../../client/core/index.js";
import { CONFLICT_STRATEGIES } from "../../schema/strategies.js";
import type { RelayStore } from "../../relay/store/store.js";
import { openDevices, trySync, TestClock, type Device } from "./devices.js";
import { firstDifference, Ledger, setIdsOf, Trace } from "./ledger.js";
import type { ConflictChoice, Scenario } from "./scenario.js";
import { resolveConflict, runStep, shareStart } from "./steps.js";

export interface RelayUnderTest {
  syncUrl(): string;
  /** Stops the relay and starts a new one on the same database. */
  restart(): Promise<void>;
  store(): RelayStore;
}

export interface RunOptions {
  userId: string;
  requestTimeoutMs: number;
  /** Told the whole trace of a run that passed (PROPERTY_TRACE=1). */
  onTrace?: (trace: string) => void;
}

/** Heal rounds before the run counts as not converging. */
const MAX_HEAL_ROUNDS = 12;

export class PropertyViolation extends Error {
  override readonly name = "PropertyViolation";
}

/** Runs the scenario; resolves with how often notable things happened, throws PropertyViolation. */
export async function runScenario(relay: RelayUnderTest, scenario: Scenario, options: RunOptions): Promise<Map<string, number>> {
  const trace = new Trace();
  const ledger = new Ledger();
  const clock = new TestClock();
  const opening = performance.now();
  const opened = await openDevices({
    count: scenario.devices,
    skews: scenario.skews,
    userId: options.userId,
    relayUrl: () => relay.syncUrl(),
    clock,
    trace,
    autoSync: scenario.autoSync,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const { devices } = opened;
  // An exception thrown from a socket or timer callback of the core fails the run that caused it.
  const escaped: unknown[] = [];
  const onEscaped = (err: unknown) => escaped.push(err);
  process.on("uncaughtException", onEscaped);
  process.on("unhandledRejection", onEscaped);
  // A conflict record for a type that must not ask fails the run even if it is gone by the next step.
  const wrongConflicts: string[] = [];
  const unsubscribe = devices.map((device) =>
    device.client.subscribe(() => {
      const wrong = wrongConflictTypes(device);
      if (wrong) wrongConflicts.push(`${wrong} (seen at ${trace.where()})`);
    }),
  );
  trace.count("ms: open devices", Math.round(performance.now() - opening));
  try {
    const ctx = { devices, ledger, trace, restartRelay: () => relay.restart() };
    if (scenario.sharedStart) await shareStart(ctx);
    for (const [index, step] of scenario.steps.entries()) {
      trace.step = index;
      clock.advance();
      const started = performance.now();
      await runStep(ctx, step);
      trace.count(`ms: ${step.kind}`, Math.round(performance.now() - started));
      checkConflictTypes(devices, wrongConflicts);
    }
    trace.healing = true;
    clock.advance();
    let started = performance.now();
    await heal(devices, scenario.healChoices, ledger, trace);
    trace.count("ms: heal", Math.round(performance.now() - started));
    started = performance.now();
    await checkIdentical(devices, relay.store(), devices[0]!.client.account().userId);
    await checkNothingLost(devices, ledger, trace);
    checkNothingEscaped(escaped);
    checkConflictTypes(devices, wrongConflicts);
    trace.count("ms: checks", Math.round(performance.now() - started));
    options.onTrace?.(trace.tail(Number.MAX_SAFE_INTEGER));
    return trace.counts;
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    const setup = [`${scenario.devices} devices`, scenario.autoSync ? "auto sync" : "", scenario.sharedStart ? "shared start" : ""].filter(Boolean).join(", ");
    throw new PropertyViolation(
      `${message}\n--- trace (${options.userId}, ${setup}) ---\n${trace.tail(400)}\n--- this scenario alone: PROPERTY_SCENARIO='${JSON.stringify(scenario)}'`,
    );
  } finally {
    for (const stop of unsubscribe) stop();
    process.off("uncaughtException", onEscaped);
    process.off("unhandledRejection", onEscaped);
    const closing = performance.now();
    await opened.close();
    trace.count("ms: close devices", Math.round(performance.now() - closing));
  }
}

function checkNothingEscaped(escaped: unknown[]): void {
  if (escaped.length === 0) return;
  const first = escaped[0] instanceof Error ? (escaped[0].stack ?? escaped[0].message) : String(escaped[0]);
  throw new PropertyViolation(`${escaped.length} exception(s) escaped the client or relay; the first:\n${first}`);
}

/** Conflict records arise only for the types whose strategy asks the person. */
function wrongConflictTypes(device: Device): string | undefined {
  const wrong = device.client.conflicts().find((item) => CONFLICT_STRATEGIES[item.entityType].strategy !== "user_choice");
  return wrong && `${device.name} holds a conflict record for ${wrong.entityType} ${wrong.entityId}; only workout and progression may ask`;
}

function checkConflictTypes(devices: Device[], seen: string[]): void {
  const wrong = [...seen, ...devices.map(wrongConflictTypes).filter((w) => w !== undefined)];
  if (wrong.length > 0) throw new PropertyViolation(wrong[0]!);
}

/** Heals every link, then syncs round after round, answering every conflict, until a round moves nothing. */
async function heal(devices: Device[], choices: ConflictChoice[], ledger: Ledger, trace: Trace): Promise<void> {
  let answered = 0;
  for (const device of devices) device.link.heal();
  trace.add("all links healed");
  for (let round = 0; round < MAX_HEAL_ROUNDS; round++) {
    trace.count("heal: rounds");
    let moved = false;
    for (const device of devices) {
      const report = await syncUntilAnswered(device, trace);
      if (report.pushed + report.pulled + report.conflicts + report.errors > 0) moved = true;
    }
    for (const device of devices) {
      for (const item of device.client.conflicts()) {
        await resolveConflict(device, item, choices[answered++ % choices.length]!, ledger, trace);
        trace.count("heal: resolved a conflict");
        moved = true;
      }
    }
    if (!moved && devices.every((d) => d.client.status().queueDepth === 0)) return;
  }
  const stuck = devices.flatMap((d) =>
    d.client.queueItems().filter((i) => i.status !== "synced").map((i) => `${d.name} ${i.entityType} ${i.entityId} ${i.status} ${JSON.stringify(i.lastError)}`),
  );
  throw new PropertyViolation(`no quiescence after ${MAX_HEAL_ROUNDS} healed rounds; unsynced: ${stuck.join("; ") || "none"}`);
}

/** After heal a sync may still fail (a request that timed out on a loaded machine); a few tries must get through. */
async function syncUntilAnswered(device: Device, trace: Trace) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const report = await trySync(device, trace);
    if (report) return report;
  }
  throw new PropertyViolation(`${device.name} cannot sync after heal`);
}

async function checkIdentical(devices: Device[], store: RelayStore, userId: string): Promise<void> {
  const page = await store.changesSince(userId, 0n, 10_000);
  if (page.hasMore) throw new PropertyViolation("more than 10,000 entities: the run is not what the test expects");
  const relayDocs = new Map<string, { json: unknown; version: number; type: EntityType }>();
  for (const row of page.entities) {
    const doc = A.load(row.doc);
    const json = A.toJS(doc);
    A.free(doc);
    const stale = firstDifference(json, row.data);
    if (stale) throw new PropertyViolation(`relay row ${row.entityId}: materialised JSON differs from its document at ${stale}`);
    relayDocs.set(row.entityId, { json, version: row.version, type: row.entityType });
  }
  const relayIds = [...relayDocs.keys()].sort();
  for (const device of devices) {
    const items = device.client.list(undefined, { includeDeleted: true });
    const ids = items.map((i) => i.id).sort();
    if (ids.join() !== relayIds.join()) {
      throw new PropertyViolation(`${device.name} holds [${ids.join(", ")}], the relay [${relayIds.join(", ")}]`);
    }
    for (const item of items) {
      const onRelay = relayDocs.get(item.id)!;
      if (item.serverVersion !== onRelay.version) {
        throw new PropertyViolation(`${device.name} knows ${item.type} ${item.id} at version ${item.serverVersion}, the relay has ${onRelay.version}`);
      }
      const differs = firstDifference(await device.client.get(item.id), onRelay.json);
      if (differs) throw new PropertyViolation(`${device.name} and the relay differ on ${item.type} ${item.id} at ${differs}`);
    }
  }
}

/**
 * Every set shown as saved is in a live workout or in a notice's lost value (on any device),
 * unless the person removed it: deleted it or its workout, or chose the side of a conflict
 * without it (heal answers conflicts too). Open conflict records would count as well, but heal
 * leaves none.
 */
async function checkNothingLost(devices: Device[], ledger: Ledger, trace: Trace): Promise<void> {
  const found = new Map<string, string>();
  const device = devices[0]!;
  for (const item of device.client.list("workout")) {
    for (const setId of setIdsOf(await device.client.get(item.id))) {
      const already = found.get(setId);
      if (already) throw new PropertyViolation(`${setId} is shown twice: in workout ${already} and in workout ${item.id}`);
      found.set(setId, item.id);
    }
  }
  const kept = devices.flatMap((d) => [...d.client.resolutions().map((n) => JSON.stringify(n.lost)), ...d.client.conflicts().map((c) => JSON.stringify(c.conflict))]);
  const lost: string[] = [];
  trace.count("final: notices", kept.length);
  for (const [setId, savedAt] of ledger.saved) {
    trace.count("sets: saved");
    if (ledger.removedOnPurpose.has(setId)) {
      trace.count("sets: removed on purpose");
      continue;
    }
    if (found.has(setId)) {
      trace.count("sets: in final data");
      continue;
    }
    if (kept.some((json) => json.includes(`"${setId}"`))) {
      trace.count("sets: only in a notice");
      continue;
    }
    lost.push(`${setId} (saved by ${savedAt})`);
  }
  if (lost.length > 0) throw new PropertyViolation(`${lost.length} set(s) lost: ${lost.join("; ")}`);
}
