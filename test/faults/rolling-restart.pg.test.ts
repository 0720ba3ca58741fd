// A rolling restart: three relay processes on one database, six devices of one person writing
// continuously through load balancers (one TcpProxy per relay). Each relay in turn is taken out
// of its balancer (new connections go to another relay, as when /readyz turns 503) and sent
// SIGTERM: it answers what it holds, closes its sockets with RELAY_RESTARTING and exits 0; a new
// relay takes its place. Nothing acknowledged is lost, every device ends with every workout, and
// the devices moved by the RELAY_RESTARTING path (an immediate reconnect), never by back-off.
import { afterEach, describe, expect, it } from "vitest";
import type { IronFlowClient } from "../../client/core/index.js";
import { waitFor } from "../support/devices.js";
import { freePort } from "../support/ports.js";
import { Cleanups, guard, logWorkouts, openTestDevice, relayRows, settled } from "./fixtures.js";
import { freshRelaySchema, startRelayProcess, type RelayProcess } from "./relay-process.js";
import { TcpProxy } from "./tcp-proxy.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const DEVICES = 6;
/** Acknowledged writes each device makes between two restarts (and after the last). */
const WRITES_PER_ROUND = 2;

interface Writer {
  device: IronFlowClient;
  /** Sync runs that succeeded, by what started them. */
  succeededBy: Map<string, number>;
  /** Why each lost connection ended ("relay_restarting" or "dropped"). */
  losses: string[];
  /** What each failed run said. */
  failures: string[];
  /** Every entity this device saw acknowledged, at any moment. */
  acknowledged: Set<string>;
}

function noteAcknowledged(writer: Writer): void {
  for (const item of writer.device.queueItems()) if (item.status === "synced") writer.acknowledged.add(item.entityId);
}

describe("a rolling restart of three relay processes with SIGTERM", { timeout: 600_000 }, () => {
  it("loses nothing acknowledged, every device converges, and devices move by the immediate RELAY_RESTARTING reconnect", async () => {
    const schema = await freshRelaySchema();
    cleanups.add(() => schema.drop());
    // Pokes only (no periodic cursor check): what arrives came by the fan-out or a device's own pull.
    const env = { FANOUT_CHECK_MS: "3600000" };
    const start = async () => {
      const relay = await startRelayProcess({ databaseUrl: schema.url, port: await freePort(), env, readyTimeoutMs: 60_000 });
      cleanups.add(() => relay.stop());
      return relay;
    };
    const relays: RelayProcess[] = [];
    const balancers: TcpProxy[] = [];
    for (let i = 0; i < 3; i++) {
      relays.push(await start());
      const balancer = await TcpProxy.open({ port: relays[i]!.port });
      cleanups.add(() => balancer.close());
      balancers.push(balancer);
    }
    const writers: Writer[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const succeededBy = new Map<string, number>();
      const losses: string[] = [];
      const failures: string[] = [];
      const log = {
        event: (name: string, fields: Record<string, unknown>) => {
          if (name === "sync_success") succeededBy.set(String(fields["trigger"]), (succeededBy.get(String(fields["trigger"])) ?? 0) + 1);
          if (name === "connection_lost") losses.push(String(fields["cause"]));
          if (name === "sync_failed") failures.push(`${String(fields["trigger"])}: ${String(fields["message"])}`);
        },
      };
      const device = await openTestDevice(cleanups, `device-${i}`, balancers[i % 3]!.syncUrl, { syncOnChange: true, log });
      await device.syncNow();
      const writer: Writer = { device, succeededBy, losses, failures, acknowledged: new Set() };
      cleanups.add(device.subscribe(() => noteAcknowledged(writer)));
      writers.push(writer);
    }

    // Each device writes two workouts, waits for both to be acknowledged, and goes on.
    let writing = true;
    const loops = writers.map(async (writer, i) => {
      while (writing) {
        const ids = await logWorkouts(writer.device, `Device ${i}`, 2);
        await waitFor(writer.device, () => ids.every((id) => writer.acknowledged.has(id)));
      }
    });
    const describeWriters = () => writers.map((w, i) => `device ${i}: ${w.acknowledged.size} acknowledged, runs ${JSON.stringify([...w.succeededBy])}, losses ${w.losses.join(",")}, failures ${JSON.stringify(w.failures)}`).join("; ");
    const everyoneWrites = async (what: string) => {
      const marks = writers.map((w) => w.acknowledged.size + WRITES_PER_ROUND);
      await guard(Promise.all(writers.map((w, i) => waitFor(w.device, () => w.acknowledged.size >= marks[i]!))), 90_000, () => `${what}: ${describeWriters()}`);
    };

    await everyoneWrites("before the first restart");
    for (let r = 0; r < 3; r++) {
      // The balancer stops sending new connections to relay r, which is then told to stop.
      balancers[r]!.retarget(relays[(r + 1) % 3]!.port);
      const leaving = relays[r]!;
      await leaving.stop();
      expect(leaving.exit, leaving.output()).toEqual({ code: 0, signal: null });
      const stopped = leaving
        .output()
        .split("\n")
        .map((line) => (line.includes('"relay_stopped"') ? (JSON.parse(line) as Record<string, unknown>) : undefined))
        .find((line) => line !== undefined);
      expect(stopped, leaving.output()).toMatchObject({ signal: "SIGTERM", cut: 0 });
      relays[r] = await start();
      balancers[r]!.retarget(relays[r]!.port);
      await everyoneWrites(`after relay ${r} restarted`);
    }
    writing = false;
    await guard(Promise.all(loops), 60_000, describeWriters);
    for (const writer of writers) {
      await writer.device.syncNow();
      await settled(writer.device);
    }

    const rows = await relayRows(schema.name);
    const stored = new Set(rows.map((r) => r.entityId));
    for (const writer of writers) expect([...writer.acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    // Every device converges on every workout.
    await guard(
      Promise.all(writers.map((w) => waitFor(w.device, () => rows.every((row) => w.device.list("workout").some((x) => x.id === row.entityId))))),
      60_000,
      () => writers.map((w, i) => `device ${i}: ${w.device.list("workout").length} of ${rows.length}`).join("; "),
    );
    for (const writer of writers) {
      expect(writer.device.conflicts()).toEqual([]);
      // Every device was on a relay that stopped: each lost connection said RELAY_RESTARTING, and
      // the back-off timer never had to bring a device back.
      expect(writer.losses.length, describeWriters()).toBeGreaterThan(0);
      expect(writer.losses.filter((cause) => cause !== "relay_restarting"), describeWriters()).toEqual([]);
      expect(writer.succeededBy.get("reconnect") ?? 0, describeWriters()).toBe(0);
    }
  });
});
