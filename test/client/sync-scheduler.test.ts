// The sync scheduler's policy under a fake clock: triggers, the 5-minute interval, retry timers
// and reconnect back-off with jitter.
import { describe, expect, it } from "vitest";
import { SyncScheduler, reconnectDelayMs, type SyncTrigger } from "../../client/core/sync/sync-scheduler.js";
import { RETRY_SCHEDULE_SECONDS, nextAttemptAt, waitsForManualSync } from "../../client/core/queue/retry-schedule.js";
import { Code, SyncError } from "../../schema/status.js";
import { FakeClock } from "../support/fake-clock.js";

function scheduler(clock: FakeClock, behaviour: { fail?: () => boolean; nextRetryAt?: () => number | null } = {}) {
  const runs: SyncTrigger[] = [];
  const s = new SyncScheduler({
    run: (trigger) => {
      runs.push(trigger);
      return behaviour.fail?.() ? Promise.reject(new SyncError(Code.UNAVAILABLE, "relay unreachable")) : Promise.resolve();
    },
    nextRetryAt: behaviour.nextRetryAt ?? (() => null),
    isUnreachable: (err) => err instanceof SyncError && err.code === Code.UNAVAILABLE,
    timers: clock,
  });
  return { s, runs };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("retry schedule", () => {
  it("retries at 30 s, 1 min, 5 min, 15 min, 1 h with ±20 % jitter, then waits for a manual sync", () => {
    for (const [i, seconds] of RETRY_SCHEDULE_SECONDS.entries()) {
      const low = nextAttemptAt(i + 1, 0, () => 0);
      const high = nextAttemptAt(i + 1, 0, () => 1);
      expect(low).toBe(seconds * 800);
      expect(high).toBe(seconds * 1200);
    }
    expect(nextAttemptAt(6, 0, () => 0.5)).toBeNull();
    expect(waitsForManualSync(5)).toBe(false);
    expect(waitsForManualSync(6)).toBe(true);
  });

  it("two devices failing at the same moment retry at different times", () => {
    expect(nextAttemptAt(1, 0, () => 0.1)).not.toBe(nextAttemptAt(1, 0, () => 0.9));
  });

  it("reconnect back-off doubles from 1 s up to 5 minutes, jittered over the upper half", () => {
    expect([1, 2, 3, 4].map((n) => reconnectDelayMs(n, () => 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(reconnectDelayMs(1, () => 0)).toBe(500);
    expect(reconnectDelayMs(30, () => 1)).toBe(300_000);
  });
});

describe("sync scheduler", () => {
  it("syncs on return to the foreground and every 5 minutes while active, never in the background", async () => {
    const clock = new FakeClock();
    const { s, runs } = scheduler(clock);
    s.setActive(true);
    await settle();
    expect(runs).toEqual(["foreground"]);
    clock.advance(5 * 60_000);
    await settle();
    clock.advance(5 * 60_000);
    await settle();
    expect(runs).toEqual(["foreground", "interval", "interval"]);
    s.setActive(false);
    clock.advance(60 * 60_000);
    await settle();
    expect(runs).toHaveLength(3);
    s.setActive(true);
    await settle();
    expect(runs.at(-1)).toBe("foreground");
    s.stop();
  });

  it("an unreachable relay is retried with growing back-off until it answers, then back-off resets", async () => {
    const clock = new FakeClock(undefined, [1]);
    let down = true;
    const { s, runs } = scheduler(clock, { fail: () => down });
    await s.trigger("manual");
    expect(clock.pending()).toEqual([1000]);
    clock.advance(1000);
    await settle();
    expect(clock.pending()).toEqual([2000]);
    clock.advance(2000);
    await settle();
    expect(clock.pending()).toEqual([4000]);
    down = false;
    clock.advance(4000);
    await settle();
    expect(runs).toEqual(["manual", "reconnect", "reconnect", "reconnect"]);
    expect(clock.pending()).toEqual([]);
    s.stop();
  });

  it("a failed item coming due is retried without waiting for a new local write", async () => {
    const clock = new FakeClock();
    let due: number | null = clock.now() + 30_000;
    const { s, runs } = scheduler(clock, { nextRetryAt: () => due });
    await s.trigger("manual");
    expect(clock.pending()).toEqual([30_000]);
    due = null;
    clock.advance(30_000);
    await settle();
    expect(runs).toEqual(["manual", "retry_due"]);
    expect(clock.pending()).toEqual([]);
    s.stop();
  });

  it("a relay that drained the connection before stopping is reconnected to at once, with no back-off left armed", async () => {
    const clock = new FakeClock(undefined, [1]);
    const { s, runs } = scheduler(clock, { fail: () => runs.length === 1 });
    // The relay refused the run's request while draining (UNAVAILABLE): back-off is armed...
    await s.trigger("manual");
    expect(clock.pending()).toEqual([1000]);
    // ...then its RELAY_RESTARTING close arrives: the device reconnects now, in the background too.
    s.connectionLost("relay_restarting");
    await settle();
    expect(runs).toEqual(["manual", "relay_restarting"]);
    expect(clock.pending()).toEqual([]);
    // A connection that merely dropped, while in the background, waits for the app to come back.
    s.connectionLost("dropped");
    expect(clock.pending()).toEqual([]);
    s.stop();
  });

  it("a request the restarting relay cut short arms no back-off; the immediate reconnect failing does", async () => {
    const clock = new FakeClock(undefined, [1]);
    const runs: { trigger: SyncTrigger; settle: (ok: boolean) => void }[] = [];
    const s = new SyncScheduler({
      run: (trigger) =>
        new Promise((resolve, reject) => {
          runs.push({ trigger, settle: (ok) => (ok ? resolve(undefined) : reject(new SyncError(Code.UNAVAILABLE, "connection closed: relay restarting"))) });
        }),
      nextRetryAt: () => null,
      isUnreachable: (err) => err instanceof SyncError && err.code === Code.UNAVAILABLE,
      timers: clock,
    });
    void s.trigger("local_change");
    // The close is seen first; the cut request's failure arrives after it (as in a real drain).
    s.connectionLost("relay_restarting");
    runs[0]!.settle(false);
    await settle();
    expect(clock.pending()).toEqual([]);
    runs[1]!.settle(false); // no other relay answered either: now back off
    await settle();
    expect(runs.map((r) => r.trigger)).toEqual(["local_change", "relay_restarting"]);
    expect(clock.pending()).toEqual([1000]);
    s.stop();
  });

  it("a stopped scheduler fires nothing", async () => {
    const clock = new FakeClock();
    const { s, runs } = scheduler(clock, { fail: () => true });
    s.setActive(true);
    await settle();
    s.stop();
    clock.advance(24 * 3600_000);
    await settle();
    expect(runs).toEqual(["foreground"]);
  });
});
