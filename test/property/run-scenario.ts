// One run of the convergence property: open the devices (each in a process of its own), play the
// steps, heal everything, sync until nothing moves, close and reopen every device on its folder,
// read everything back, and hand the final state to the checker (checker.ts), beside what was seen
// on the way:
// - a conflict record for a type other than workout or progression (reported by the device's
//   process on the client event that made it);
// - an exception that escaped into a callback of a device (uncaught, or a rejection nobody
//   awaited), a device process or the relay process that died without being killed;
// - heal that does not reach quiescence.
import { ensureOpen, onEach, openDevices, trySync, TestClock, type Device } from "./devices.js";
import { check, type DeviceFinal } from "./checker.js";
import type { HostEvent } from "./host-protocol.js";
import { isLiveWorkout, Ledger, PropertyViolation, setsOf, Trace } from "./ledger.js";
import type { RelayRow } from "./relay-under-test.js";
import { HostCallError } from "./remote-device.js";
import type { HostPool, RemoteDevice } from "./remote-device.js";
import type { RelayUnderTest } from "./relay-under-test.js";
import type { ConflictChoice, Scenario } from "./scenario.js";
import { resolveConflict, restoreResolution, runStep, setIdsNamedIn, shareStart, type RelayControl, type StepContext } from "./steps.js";

export interface RunEnvironment {
  relay: RelayUnderTest;
  pool: HostPool;
  requestTimeoutMs: number;
  maxBatchItems: number;
}

export interface RunOptions {
  /** The person whose devices the run opens (a test account of this label). */
  person: string;
  /** Told the whole trace of a run that passed (PROPERTY_TRACE=1). */
  onTrace?: (trace: string) => void;
  /** Told each trace line as it happens (PROPERTY_TRACE=live). */
  onLine?: (line: string) => void;
}

/** Heal rounds before the run counts as not converging. */
const MAX_HEAL_ROUNDS = 12;
/** Sync tries a device gets in each heal round before the run counts as not live. */
const SYNC_TRIES_AFTER_HEAL = 10;
/** The exercise library's rows belong to this owner; every device holds them too. */
const CATALOG_OWNER = "_catalog";

export { PropertyViolation };

/** Runs the scenario; resolves with how often notable things happened, throws PropertyViolation. */
export async function runScenario(env: RunEnvironment, scenario: Scenario, options: RunOptions): Promise<Map<string, number>> {
  const trace = new Trace(options.onLine);
  const ledger = new Ledger();
  const clock = new TestClock();
  const { relay } = env;
  // Seen on the way, judged at the end (or at once, for a process that died).
  const seen: string[] = [];
  const onEvent = (device: RemoteDevice, event: HostEvent) => {
    if (event.event === "wrong_conflict") {
      seen.push(`${device.name} got a conflict record for ${event.entityType} ${event.entityId} (at ${trace.where()}); only workout and progression may ask`);
    } else if (event.event === "escaped") {
      // A client closed earlier (by this run or, in a reused host, an earlier one) that still
      // throws is a finding too, but its cause may lie outside this run's trace: say so.
      const whose =
        event.open && event.generation === device.generation ? `${device.name}'s client` : `a client closed earlier in ${device.name}'s process (client ${event.generation}, this run's is ${device.generation})`;
      seen.push(`${event.kind} in ${whose} (at ${trace.where()}):\n${event.stack}`);
    }
  };
  const onDied = (device: RemoteDevice, why: string) => seen.push(`${device.name}: ${why} (at ${trace.where()})`);
  await relay.ready();
  relay.takeDeaths();
  relay.takeErrors();
  const opening = performance.now();
  const opened = await openDevices({
    count: scenario.devices,
    skews: scenario.skews,
    person: options.person,
    relayUrl: () => relay.syncUrl,
    clock,
    trace,
    autoSync: scenario.autoSync,
    requestTimeoutMs: env.requestTimeoutMs,
    maxBatchItems: env.maxBatchItems,
    pool: env.pool,
    onEvent,
    onDied,
  });
  const { devices } = opened;
  trace.count("ms: open devices", Math.round(performance.now() - opening));
  const control: RelayControl = {
    ready: () => relay.ready(),
    crash: () => relay.crash(),
    kill: () => relay.kill(),
    restartCleanly: () => relay.restartCleanly(),
    restartPostgres: (mode) => relay.restartPostgres(mode),
  };
  const ctx: StepContext = { devices, ledger, trace, clock, relay: control };
  try {
    let started = performance.now();
    if (scenario.sharedStart) await shareStart(ctx).catch(deviceFailure);
    trace.count("ms: shared start", Math.round(performance.now() - started));
    for (const [index, step] of scenario.steps.entries()) {
      trace.step = index;
      clock.advance();
      await onEach(devices.filter((d) => d.remote.isOpen), (d) => d.remote.setClock(clock.now));
      started = performance.now();
      await runStep(ctx, step).catch((err: unknown) => {
        trace.add(`failed in ${JSON.stringify(step)}`);
        deviceFailure(err);
      });
      trace.count(`ms: ${step.kind}`, Math.round(performance.now() - started));
      noteKills(devices, trace);
      failOnSeen(seen, relay, env.pool);
    }
    trace.phase = "heal";
    clock.advance();
    started = performance.now();
    await heal(ctx, scenario.healChoices, scenario.healRestores ?? false, () => relay.describePostgres()).catch(deviceFailure);
    trace.count("ms: heal", Math.round(performance.now() - started));

    trace.phase = "final";
    started = performance.now();
    const final = await reopenAndReadBack(devices, clock).catch(deviceFailure);
    // The relay's id of the person (every device signed in to the same account).
    const userId = devices[0]!.remote.userId;
    const rows = await relay.rows([userId, CATALOG_OWNER]);
    trace.count("ms: reopen and read back", Math.round(performance.now() - started));
    failOnSeen(seen, relay, env.pool);
    describeFinal(trace, final, rows.filter((r) => r.userId === userId));
    const violations = check({ devices: final, rows }, ledger);
    countOutcomes(trace, ledger, final);
    if (violations.length > 0) {
      const shown = violations.slice(0, 12);
      throw new PropertyViolation(
        `${violations.length} violation(s):\n- ${shown.join("\n- ")}${violations.length > shown.length ? `\n- ... and ${violations.length - shown.length} more` : ""}`,
      );
    }
    options.onTrace?.(trace.tail(Number.MAX_SAFE_INTEGER));
    return trace.counts;
  } catch (err) {
    const message = err instanceof PropertyViolation ? err.message : err instanceof Error ? `${err.name}: ${err.stack ?? err.message}` : String(err);
    const errors = relay.takeErrors();
    if (errors.length) trace.add(`the relay logged ${errors.length} error(s); the last: ${errors.at(-1)}`);
    const setup = [`${scenario.devices} devices`, scenario.autoSync ? "auto sync" : "", scenario.sharedStart ? "shared start" : ""].filter(Boolean).join(", ");
    const violation = new PropertyViolation(
      `${message}\n--- trace (${options.person}, ${setup}) ---\n${trace.tail(400)}\n--- this scenario alone: PROPERTY_SCENARIO='${JSON.stringify(scenario)}'`,
    );
    violation.counts = trace.counts;
    throw violation;
  } finally {
    for (const d of devices) d.link.clearTap();
    await relay.ready().catch(() => undefined);
    const closing = performance.now();
    // Cleanup never hides the run's outcome; a failure here shows in the stats.
    await opened.close().catch((err: unknown) => trace.count(`cleanup failed: ${(err as Error).message.split("\n")[0]}`));
    trace.count("ms: close devices", Math.round(performance.now() - closing));
  }
}

/**
 * A device that answers an error the person would not be shown as a refusal (anything but "this
 * was deleted meanwhile") has failed them: a violation, named as such.
 */
function deviceFailure(err: unknown): never {
  if (err instanceof HostCallError) throw new PropertyViolation(`a device failed a request it must answer (${err.op}): ${err.message}`);
  throw err;
}

/** A process death or a relay death ends the run at once; the rest waits for the final check. */
function failOnSeen(seen: string[], relay: RelayUnderTest, pool: HostPool): void {
  const all = [...relay.takeDeaths(), ...pool.takeOrphans(), ...seen];
  if (all.length > 0) throw new PropertyViolation(`${all.length} failure(s) seen during the run:\n- ${all.join("\n- ")}`);
}

function noteKills(devices: Device[], trace: Trace): void {
  for (const d of devices) {
    if (!d.remote.killedAfterSave) continue;
    d.remote.killedAfterSave = false;
    trace.count("device: killed after saved");
  }
}

/**
 * Heals every link, opens every device that is down, then syncs round after round, answering
 * every conflict, until a round moves nothing.
 */
async function heal(ctx: StepContext, choices: ConflictChoice[], restores: boolean, describePostgres: () => Promise<string>): Promise<void> {
  const { devices, trace, ledger, clock } = ctx;
  let answered = 0;
  let restored = !restores;
  await ctx.relay.ready();
  for (const device of devices) device.link.heal();
  trace.add("all links healed");
  for (let round = 0; round < MAX_HEAL_ROUNDS; round++) {
    trace.count("heal: rounds");
    let moved = false;
    for (const device of devices) {
      await ensureOpen(device, clock, trace);
      await device.remote.setClock(clock.now);
      const report = await syncUntilAnswered(ctx, device, describePostgres);
      if (report.pushed + report.pulled + report.conflicts + report.errors > 0) moved = true;
      noteKills(devices, trace);
    }
    for (const device of devices) {
      if (!device.remote.isOpen) continue;
      for (const item of await device.remote.conflicts()) {
        await resolveConflict(device, item, choices[answered++ % choices.length]!, ledger, trace);
        trace.count("heal: resolved a conflict");
        moved = true;
        noteKills(devices, trace);
        // Killed right after the choice was saved (noteKills reads the kill the call armed).
        if (!(device.remote as { readonly isOpen: boolean }).isOpen) break;
      }
    }
    if (moved || devices.some((d) => !d.remote.isOpen)) continue;
    const depths = await onEach(devices, (d) => d.remote.status());
    if (!depths.every((s) => s.queueDepth === 0)) continue;
    if (restored) return;
    // Quiet: the person restores what each device's first record lost, and heal goes on.
    restored = true;
    let any = false;
    for (const device of devices) {
      if (device.remote.isOpen && (await restoreResolution(ctx, device, 0))) {
        any = true;
        trace.count("heal: restored from a record");
      }
      noteKills(devices, trace);
    }
    if (!any) return;
  }
  const stuck: string[] = [];
  for (const d of devices) {
    if (!d.remote.isOpen) continue;
    for (const i of await d.remote.queueItems()) if (i.status !== "synced") stuck.push(`${d.name} ${i.entityType} ${i.entityId} ${i.status} ${JSON.stringify(i.lastError)}`);
  }
  throw new PropertyViolation(`no quiescence after ${MAX_HEAL_ROUNDS} healed rounds; unsynced: ${stuck.join("; ") || "none"}`);
}

/** After heal a sync may still fail (a request that timed out on a loaded machine); a few tries must get through. */
async function syncUntilAnswered(ctx: StepContext, device: Device, describePostgres: () => Promise<string>) {
  const failures: string[] = [];
  for (let attempt = 0; attempt < SYNC_TRIES_AFTER_HEAL; attempt++) {
    await ctx.relay.ready();
    await ensureOpen(device, ctx.clock, ctx.trace);
    const report = await trySync(device, ctx.trace, (message) => failures.push(message));
    if (report) return report;
  }
  // Where the device is stuck: what each try answered, what it says of itself, what waits in its
  // queue; the relay's answers are in the trace, whether its database is up is not.
  throw new PropertyViolation(
    `${device.name} cannot sync after heal: ${SYNC_TRIES_AFTER_HEAL} tries failed with\n${tally(failures)}\n${await describeDevice(device, ctx.clock.now)}\n${await describePostgres()}`,
  );
}

/** Each distinct line with how often it came, in order of first appearance. */
function tally(lines: string[]): string {
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
  return [...counts].map(([line, n]) => `  ${n}x ${line}`).join("\n");
}

/** A stuck device's own account: its sync status and every queue item not synced (times relative to the test clock). */
async function describeDevice(device: Device, now: number): Promise<string> {
  try {
    const status = await device.remote.status();
    const unsynced = (await device.remote.queueItems()).filter((i) => i.status !== "synced");
    const items = unsynced.map((i) => {
      const due = i.nextAttemptAt === null ? "due now or manual only" : `due in ${i.nextAttemptAt - now} ms`;
      const error = i.lastError ? `, last error ${i.lastError.code}: ${i.lastError.message}` : "";
      return `  ${i.entityType} ${i.entityId} ${i.status} v${i.version}, ${i.retryCount} failure(s), ${due}${error}`;
    });
    return `${device.name} says: ${JSON.stringify(status)}\n${device.name}'s queue, ${unsynced.length} item(s) not synced:\n${items.join("\n") || "  (none)"}`;
  } catch (err) {
    return `${device.name} did not describe itself: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** Closes every device cleanly, opens it again on its folder, and reads every document back. */
async function reopenAndReadBack(devices: Device[], clock: TestClock): Promise<DeviceFinal[]> {
  return onEach(devices, async (d) => {
    await d.remote.close();
    await d.remote.open(clock.now);
    const { items, docs } = await d.remote.readAll();
    return { name: d.name, items, docs, resolutions: await d.remote.resolutions() };
  });
}

/** The final workouts as Postgres holds them, and every device's resolution records, for the trace. */
function describeFinal(trace: Trace, final: DeviceFinal[], rows: RelayRow[]): void {
  for (const row of rows) {
    if (row.entityType !== "workout") continue;
    const sets = setsOf(row.doc).map((s) => `${s.id} ${s.reps}x${s.weight}${s.keptFrom ? ` (kept from ${s.keptFrom.setId})` : ""}`);
    trace.add(`postgres: workout ${row.entityId} v${row.version}${isLiveWorkout(row.doc) ? "" : " (deleted)"}: ${sets.join(", ") || "no sets"}`);
  }
  for (const device of final) {
    for (const r of device.resolutions) {
      const named = setIdsNamedIn(r.lost);
      trace.add(`${device.name} record ${r.kind} on ${r.entityType} ${r.entityId} (${r.path})${named.length ? `: ${named.join(", ")}` : ""}${r.restoredAt !== null ? " (restored)" : ""}`);
    }
  }
}

function countOutcomes(trace: Trace, ledger: Ledger, final: DeviceFinal[]): void {
  trace.count("final: resolution records", final.reduce((n, d) => n + d.resolutions.length, 0));
  for (const facts of ledger.sets.values()) {
    if (facts.saved === undefined) continue;
    trace.count("sets: saved");
    if (facts.everRemoved) trace.count("sets: removed on purpose");
    if (facts.back) trace.count("sets: brought back on purpose");
    if (facts.entered.length > 1) trace.count("sets: edited");
  }
}
