// The leader's side of the channel: runs the other tabs' calls on its device and sends them what
// the screens read, as one snapshot whenever the client says something changed (at most every
// SNAPSHOT_EVERY_MS, so a long catch-up that notifies per item does not flood the channel).
import { perform, snapshotOf } from "../device/app-device.js";
import type { LocalDevice } from "../device/local-device.js";
import { toWire, type TabChannel } from "./tab-channel.js";

const SNAPSHOT_EVERY_MS = 100;

export class LeaderHub {
  private readonly offs: (() => void)[] = [];
  /** Set once another tab has said hello: a tab alone builds no snapshots. */
  private followed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSentAt = 0;

  constructor(
    private readonly channel: TabChannel,
    private readonly device: LocalDevice,
  ) {
    this.offs.push(
      channel.on("hello", (m) => {
        this.followed = true;
        void device.setActive(m.from, m.active);
        this.send();
      }),
      channel.on("call", (m) => void this.answer(m.from, m.callId, m.call)),
      device.subscribe(() => this.schedule()),
    );
    // A tab that said hello while this one was still opening the store was not heard: told that
    // the store is served now, it says hello again (follower-device.ts), and gets its snapshot
    // then. Not a snapshot to all: a tab alone built and cloned one of every workout on its
    // open's path (56 of the 840 ms to the list with 10,000 workouts, bench/README.md).
    channel.post({ kind: "serving", leader: channel.tabId });
  }

  stop(): void {
    clearTimeout(this.timer);
    for (const off of this.offs) off();
  }

  private async answer(from: string, callId: number, call: Parameters<typeof perform>[1]): Promise<void> {
    let result: { ok: true; value: unknown } | { ok: false; error: ReturnType<typeof toWire> };
    try {
      result = { ok: true, value: await perform(this.device, call) };
    } catch (err) {
      result = { ok: false, error: toWire(err) };
    }
    try {
      this.channel.post({ kind: "reply", to: from, callId, result });
    } catch (err) {
      // A value the channel cannot clone: the caller still hears back.
      this.channel.post({ kind: "reply", to: from, callId, result: { ok: false, error: toWire(err) } });
    }
  }

  private schedule(): void {
    if (!this.followed || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastSentAt + SNAPSHOT_EVERY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.send();
    }, wait);
  }

  private send(): void {
    this.lastSentAt = Date.now();
    this.channel.post({ kind: "snapshot", leader: this.channel.tabId, snapshot: snapshotOf(this.device) });
  }
}
