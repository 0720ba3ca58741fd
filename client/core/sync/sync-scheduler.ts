// When to sync: every 5 minutes while the app is active, on return to the foreground, right
// after a workout is completed (if online), when the network comes back, when a failed item is
// due again, and with backed-off reconnects after the relay could not be reached. The engine
// never runs twice at once; triggers that arrive during a run coalesce into one more run.
// Specification: docs/sync-engine.md
import { systemTimers, type Timers } from "../clock/timers.js";

export type SyncTrigger =
  | "manual"
  | "local_change"
  /** The relay's fan-out could not be applied here: pull the whole documents. */
  | "changes_available"
  | "interval"
  | "foreground"
  | "workout_completed"
  | "online"
  | "retry_due"
  | "reconnect"
  /** The relay drained the connection before stopping (a rolling restart): reconnect at once, no back-off. */
  | "relay_restarting";

export interface SchedulerOptions {
  /** Runs one sync; rejects when it failed. */
  run(trigger: SyncTrigger): Promise<unknown>;
  /** The earliest time a failed item is due again, if any. */
  nextRetryAt(): number | null;
  /** Whether the failure means the relay could not be reached (then reconnect with back-off). */
  isUnreachable(error: unknown): boolean;
  timers?: Timers;
  intervalMs?: number;
}

export class SyncScheduler {
  private readonly timers: Timers;
  private readonly intervalMs: number;
  private active = false;
  private stopped = false;
  private intervalTimer: unknown;
  private retryTimer: unknown;
  private reconnectTimer: unknown;
  private reconnectFailures = 0;
  /** An immediate reconnect after RELAY_RESTARTING is on its way: failures of the old connection arm no back-off. */
  private reconnectingAfterRestart = false;

  constructor(private readonly o: SchedulerOptions) {
    this.timers = o.timers ?? systemTimers;
    this.intervalMs = o.intervalMs ?? 5 * 60_000;
  }

  /** The app is in the foreground (true) or in the background (false). */
  setActive(active: boolean): void {
    if (this.stopped || active === this.active) return;
    this.active = active;
    if (active) {
      this.armInterval();
      void this.trigger("foreground");
    } else {
      this.clear("intervalTimer");
    }
  }

  /** Runs a sync now for this reason. Resolves when it is done; never rejects (errors are state). */
  async trigger(reason: SyncTrigger): Promise<void> {
    await this.run(reason).catch(() => undefined);
  }

  /** Like trigger, but rejects with the run's error (for the person's "sync now"). */
  async run<T>(reason: SyncTrigger): Promise<T | undefined> {
    if (this.stopped) return undefined;
    try {
      const result = (await this.o.run(reason)) as T;
      this.reconnectFailures = 0;
      this.clear("reconnectTimer");
      return result;
    } catch (err) {
      // A request the restarting relay's close cut short fails after the close was seen; the
      // immediate reconnect covers it. Only that reconnect failing too means back-off.
      if (this.o.isUnreachable(err) && (reason === "relay_restarting" || !this.reconnectingAfterRestart)) this.armReconnect();
      throw err;
    } finally {
      this.armRetry();
    }
  }

  /**
   * The connection to the relay ended while we were using it. A relay that drained it before
   * stopping (a rolling restart) means another relay is there now: reconnect at once, whatever a
   * failed request of that connection armed, and whether or not the app is in the foreground (it
   * was connected: the live changes keep coming). A dropped connection: back-off, foreground only.
   */
  connectionLost(cause: "relay_restarting" | "dropped" = "dropped"): void {
    if (this.stopped) return;
    if (cause === "relay_restarting") {
      this.clear("reconnectTimer");
      this.reconnectingAfterRestart = true;
      void this.trigger("relay_restarting").finally(() => {
        this.reconnectingAfterRestart = false;
      });
    } else if (this.active) {
      this.armReconnect();
    }
  }

  stop(): void {
    this.stopped = true;
    this.clear("intervalTimer");
    this.clear("retryTimer");
    this.clear("reconnectTimer");
  }

  private armInterval(): void {
    this.clear("intervalTimer");
    this.intervalTimer = this.timers.setTimeout(() => {
      this.intervalTimer = undefined;
      if (!this.active) return;
      this.armInterval();
      void this.trigger("interval");
    }, this.intervalMs);
  }

  private armRetry(): void {
    this.clear("retryTimer");
    const due = this.o.nextRetryAt();
    if (due === null || this.stopped) return;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      void this.trigger("retry_due");
    }, Math.max(0, due - this.timers.now()));
  }

  private armReconnect(): void {
    if (this.reconnectTimer !== undefined || this.stopped) return;
    this.reconnectFailures += 1;
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.trigger("reconnect");
    }, reconnectDelayMs(this.reconnectFailures, () => this.timers.random()));
  }

  private clear(which: "intervalTimer" | "retryTimer" | "reconnectTimer"): void {
    if (this[which] !== undefined) this.timers.clearTimeout(this[which]);
    this[which] = undefined;
  }
}

/**
 * Reconnect back-off after the relay could not be reached: 1 s doubling to 5 min, with full
 * jitter over the upper half so a relay coming back is not hit by every device at once.
 */
export function reconnectDelayMs(failures: number, random: () => number): number {
  const ceiling = Math.min(300_000, 1000 * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
