// Which tab of this browser holds the device store and syncs it: exactly one at a time, and
// another within seconds when that one closes or freezes.
//
// With Web Locks (secure contexts): the leader holds the store's lock for its lifetime; every
// other tab queues for it, so a closed leader is replaced at once. A frozen leader keeps its
// lock, so a follower in front pings it, and when it stays silent for LEADER_SILENT_MS takes the
// lock with `steal`: the frozen tab's lock request then fails with AbortError when it thaws, and
// it steps down before doing anything else with the store.
//
// Without Web Locks (a plain-http LAN address), the same messages elect one: a new tab asks who
// leads, and claims the store if nobody answers; a leader that hears of an older leader steps
// down; a leader that leaves says so. Two tabs may both hold the store for a moment there (as
// every tab did before), never for long.
import type { TabChannel } from "./tab-channel.js";

export const PING_EVERY_MS = 1_000;
/** A leader silent this long is taken for frozen (a busy one still answers between tasks). */
export const LEADER_SILENT_MS = 4_000;
/** Without Web Locks: how long a new tab waits for a leader to answer before claiming the store. */
const FIRST_ANSWER_MS = 600;

export interface LeadershipEvents {
  /** This tab now holds the store: open it. */
  lead(): Promise<void>;
  /** Another tab holds the store: use it through that tab (and let go of it, if this one held it). */
  follow(): Promise<void>;
}

type LockManager = NonNullable<Navigator["locks"]>;

export class TabLeadership {
  role: "undecided" | "leader" | "follower" = "undecided";
  /** The tab known to lead (this one, when leading). */
  leader: string | undefined;
  private readonly locks: LockManager | undefined = "locks" in navigator ? navigator.locks : undefined;
  private since = 0;
  private release: (() => void) | undefined;
  private queued = false;
  private pingSentAt: number | undefined;
  private lastHeard = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** A steal was asked for and is not granted yet. */
  private stealing = false;
  private transitions = Promise.resolve();
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly lockName: string,
    private readonly channel: TabChannel,
    private readonly events: LeadershipEvents,
  ) {}

  get usesLocks(): boolean {
    return this.locks !== undefined;
  }

  start(): void {
    const { channel } = this;
    this.offs.push(
      channel.on("ping", () => {
        if (this.role === "leader") channel.post({ kind: "pong", leader: channel.tabId });
      }),
      channel.on("pong", (m) => this.heardFrom(m.leader)),
      channel.on("snapshot", (m) => this.heardFrom(m.leader)),
      channel.on("serving", (m) => this.heardFrom(m.leader)),
      channel.on("leading", (m) => this.onLeading(m.leader, m.since)),
      channel.on("leaving", (m) => this.onLeaving(m.leader)),
    );
    window.addEventListener("pagehide", this.onPageHide);
    this.timer = setInterval(() => this.watch(), PING_EVERY_MS);
    if (this.locks) this.requestLock(this.locks);
    else this.askWhoLeads();
  }

  /** Lets go of the store (the person switches user, or the page goes). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    window.removeEventListener("pagehide", this.onPageHide);
    for (const off of this.offs) off();
    if (this.role === "leader") this.channel.post({ kind: "leaving", leader: this.channel.tabId });
    this.release?.();
  }

  // Web Locks

  private requestLock(locks: LockManager): void {
    locks
      .request(this.lockName, { ifAvailable: true }, (lock) => {
        if (lock) return this.hold();
        this.becomeFollower();
        this.queueForLock(locks);
        return undefined;
      })
      .catch((err: unknown) => this.lockLost(err));
  }

  /** Waits in the lock's queue: granted when the leader closes. */
  private queueForLock(locks: LockManager): void {
    if (this.queued) return;
    this.queued = true;
    locks
      .request(this.lockName, () => {
        this.queued = false;
        return this.hold();
      })
      .catch((err: unknown) => {
        this.queued = false;
        this.lockLost(err);
      });
  }

  /** Runs while the lock is held; the lock goes when the promise settles (never, until stop). */
  private hold(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.becomeLeader();
    return new Promise((resolve) => {
      this.release = resolve;
    });
  }

  /** Another tab stole the lock (it found this one silent): step down, and queue to lead again. */
  private lockLost(err: unknown): void {
    if (this.stopped || this.role !== "leader") return;
    if (!(err instanceof DOMException && err.name === "AbortError")) return;
    this.release = undefined;
    this.becomeFollower();
    if (this.locks) this.queueForLock(this.locks);
  }

  // Without Web Locks

  private askWhoLeads(): void {
    this.channel.post({ kind: "ping", from: this.channel.tabId });
    setTimeout(() => {
      if (this.stopped || this.role !== "undecided") return;
      if (this.leader) this.becomeFollower();
      else this.becomeLeader();
    }, FIRST_ANSWER_MS);
  }

  // Both

  private takeOver(): void {
    if (this.locks) {
      this.stealing = true;
      this.locks.request(this.lockName, { steal: true }, () => this.hold()).catch((err: unknown) => this.lockLost(err));
    } else {
      this.becomeLeader();
    }
  }

  private becomeLeader(): void {
    this.stealing = false;
    this.role = "leader";
    this.leader = this.channel.tabId;
    this.since = Date.now();
    this.channel.post({ kind: "leading", leader: this.channel.tabId, since: this.since });
    this.transition(() => this.events.lead());
  }

  private becomeFollower(): void {
    this.role = "follower";
    this.lastHeard = Date.now();
    this.pingSentAt = undefined;
    this.transition(() => this.events.follow());
  }

  private transition(step: () => Promise<void>): void {
    this.transitions = this.transitions.then(step, step);
  }

  private heardFrom(leader: string): void {
    if (this.leader === undefined) this.leader = leader;
    if (leader === this.leader) this.lastHeard = Date.now();
  }

  private onLeading(leader: string, since: number): void {
    if (leader === this.channel.tabId) return;
    if (this.role === "leader") {
      // With locks, a tab that announces itself holds the lock: this one's request fails with
      // AbortError and lockLost() steps down. Without, the older leader stays.
      if (this.locks) return;
      const otherIsOlder = since < this.since || (since === this.since && leader < this.channel.tabId);
      if (!otherIsOlder) {
        this.channel.post({ kind: "leading", leader: this.channel.tabId, since: this.since });
        return;
      }
      this.leader = leader;
      this.becomeFollower();
      return;
    }
    this.leader = leader;
    this.lastHeard = Date.now();
    this.pingSentAt = undefined;
  }

  private onLeaving(leader: string): void {
    if (leader !== this.leader || this.role === "leader") return;
    this.leader = undefined;
    // With locks the queue hands the lock on. Without, claim it after a moment unless a tab
    // that heard the same news claimed it first.
    if (!this.locks && this.role === "follower") {
      setTimeout(() => {
        if (!this.stopped && this.role === "follower" && this.leader === undefined) this.becomeLeader();
      }, Math.random() * 300);
    }
  }

  private readonly onPageHide = () => {
    if (this.role === "leader") this.channel.post({ kind: "leaving", leader: this.channel.tabId });
  };

  /**
   * A follower in front checks that the leader still answers. Only one in front: a tab in the
   * background has its timers throttled and needs nothing from the leader right now.
   */
  private watch(): void {
    if (this.stopped || this.stealing || this.role !== "follower") return;
    if (document.visibilityState !== "visible") {
      this.pingSentAt = undefined;
      return;
    }
    const now = Date.now();
    if (this.pingSentAt === undefined || this.lastHeard >= this.pingSentAt) {
      this.pingSentAt = now;
      this.channel.post({ kind: "ping", from: this.channel.tabId });
      return;
    }
    if (now - this.pingSentAt >= LEADER_SILENT_MS) {
      this.pingSentAt = undefined;
      this.takeOver();
    }
  }
}
