// Three relay processes on one database, six devices of one person spread over them, two per
// relay behind a load balancer each (a TcpProxy that can switch backends). Every edit reaches
// every device live, across relays; then one relay is killed with SIGKILL in the middle of a
// device's batch: nothing acknowledged is lost, and its devices reconnect to another relay.
// The cursor check is set far beyond the test's length, so what arrives came by a poke.
// Runs once with LISTEN/NOTIFY (no NATS_URL) and once on a NATS server of the test's own.
import { afterEach, describe, expect, it } from "vitest";
import { Code } from "../../schema/status.js";
import type { IronFlowClient } from "../../client/core/index.js";
import { waitFor } from "../support/devices.js";
import { freePort } from "../support/ports.js";
import { startPrivateNats } from "../support/private-nats.js";
import { Cleanups, guard, logWorkouts, openTestDevice, relayRows, repeated, settled } from "./fixtures.js";
import { freshRelaySchema, startRelayProcess, type RelayProcess } from "./relay-process.js";
import { TcpProxy } from "./tcp-proxy.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const BATCH = 10;
const BURST = 60;

function titles(client: IronFlowClient): Set<string> {
  return new Set(client.list("workout").map((w) => w.title));
}

function acknowledged(client: IronFlowClient): Set<string> {
  return new Set(client.queueItems().flatMap((q) => (q.status === "synced" ? [q.entityId] : [])));
}

describe.each(["postgres-notify", "nats"] as const)("three relay processes on one database, fan-out on %s", { timeout: 180_000 }, (backbone) => {
  it("every edit reaches all six devices live; a relay killed mid-batch loses nothing acknowledged and its devices move on", async () => {
    const schema = await freshRelaySchema();
    cleanups.add(() => schema.drop());
    const env: Record<string, string> = { FANOUT_CHECK_MS: "3600000" };
    if (backbone === "nats") {
      const nats = await startPrivateNats();
      cleanups.add(() => nats.close());
      env["NATS_URL"] = nats.url;
    }
    const relays: RelayProcess[] = [];
    const proxies: TcpProxy[] = [];
    for (let i = 0; i < 3; i++) {
      const relay = await startRelayProcess({ databaseUrl: schema.url, port: await freePort(), env });
      cleanups.add(() => relay.stop());
      expect(relay.output()).toContain(`"fanout":"${backbone}"`);
      const proxy = await TcpProxy.open({ port: relay.port });
      cleanups.add(() => proxy.close());
      relays.push(relay);
      proxies.push(proxy);
    }
    const devices: IronFlowClient[] = [];
    for (let i = 0; i < 6; i++) {
      const device = await openTestDevice(cleanups, `device-${i}`, proxies[i % 3]!.syncUrl, { maxBatchItems: BATCH });
      await device.syncNow(); // connected, and subscribed to the fan-out on its relay
      devices.push(device);
    }

    // Each device logs a workout and pushes it; nobody else pulls: the fan-out brings them.
    for (const [i, device] of devices.entries()) {
      await logWorkouts(device, `From device ${i}`, 1);
      await device.syncNow();
    }
    const everyTitle = devices.map((_, i) => `From device ${i} 0`);
    await guard(
      Promise.all(devices.map((device) => waitFor(device, () => everyTitle.every((t) => titles(device).has(t))))),
      60_000,
      () => devices.map((d, i) => `device ${i}: ${[...titles(d)].join(", ")}`).join("; "),
    );

    // An edit of device 0's workout on device 5 (another relay) reaches all of them live too.
    const first = devices[0]!.list("workout").find((w) => w.title === "From device 0 0")!.id;
    await devices[5]!.update<"workout">(first, (w) => {
      w.title = "Renamed on device 5";
    });
    await devices[5]!.syncNow();
    await Promise.all(devices.map((device) => waitFor(device, () => titles(device).has("Renamed on device 5"))));

    // Device 0 pushes a burst through relay 0, which dies the moment its third batch reaches it.
    const phone = devices[0]!;
    const ids = await logWorkouts(phone, "Burst", BURST);
    let atKill: Set<string> | undefined;
    const unsubscribe = phone.subscribe(() => {
      if (atKill !== undefined || acknowledged(phone).size < 1 + 6 + 2 * BATCH) return;
      unsubscribe();
      proxies[0]!.onNextRequest(() => {
        atKill = acknowledged(phone);
        relays[0]!.killNow();
      });
    });
    cleanups.add(unsubscribe);
    await expect(phone.syncNow()).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    await relays[0]!.exited;
    expect(atKill).toBeDefined();
    const storedAtKill = new Set((await relayRows(schema.name)).map((r) => r.entityId));
    expect([...atKill!].filter((id) => !storedAtKill.has(id))).toEqual([]);

    // The load balancer sends relay 0's devices to relay 1; they reconnect and go on.
    proxies[0]!.retarget(relays[1]!.port);
    await phone.syncNow();
    await settled(phone);
    await devices[3]!.syncNow(); // the other device that was on relay 0

    const rows = await relayRows(schema.name);
    expect(rows).toHaveLength(6 + BURST);
    expect(repeated(rows.map((r) => r.entityId))).toEqual([]);
    for (const id of ids) expect(rows.find((r) => r.entityId === id)).toMatchObject({ version: 1 });
    // Every device ends with every workout: the ones on live relays by fan-out alone.
    await guard(
      Promise.all(devices.map((device) => waitFor(device, () => ids.every((id) => device.list("workout").some((w) => w.id === id))))),
      60_000,
      () => devices.map((d, i) => `device ${i}: ${d.list("workout").length} workouts`).join("; "),
    );
    for (const device of devices) expect(device.conflicts()).toEqual([]);
  });
});
