// Fan-out across relay processes on one database. A publish reaches this process's sessions at
// once (InProcessFanout) and goes to the other relays as a small poke on a backbone
// (backbone.ts), after the commit: user, sending device, and either the pushed changes riding
// along when small, or (entity, version, cursor) references that the receiver reads from
// Postgres. Pokes published in one turn are coalesced into one message per topic.
//
// Pokes may be lost (a backbone that is down drops them). What makes up for it is the cursor
// check: every `cursorCheckMs`, and at once when the backbone reconnects, the relay reads the
// last cursor of each person connected to it and sends on every change it has not already
// delivered, read from Postgres. A lost poke costs at most one check interval, never data.
// Specification: docs/relay.md
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ChangesAvailableSchema, EntitySnapshotSchema, type EntitySnapshot } from "../../schema/protocol/frames.js";
import { CATALOG_OWNER } from "../catalog/catalog.js";
import type { Clock, TimerHandle } from "../clock.js";
import { InProcessFanout, type Fanout, type Subscriber } from "../fanout.js";
import type { Logger } from "../logger.js";
import type { RelayStore } from "../store/store.js";
import { snapshotOfRow } from "../sync-service.js";
import type { ReadinessCheck } from "../readiness.js";
import type { Backbone, OpenBackbone, Topic } from "./backbone.js";

export interface CrossRelayOptions {
  store: Pick<RelayStore, "get" | "versionsSince" | "latestCursors">;
  clock: Clock;
  log: Logger;
  /** How often connected people's cursors are checked for changes no poke brought. Default 5000 ms. */
  cursorCheckMs?: number;
  /** A pushed change up to this many bytes rides the poke (several per poke up to this sum); larger ones are read from Postgres. Default 4096. */
  inlineBytes?: number;
  /** Longest wait of sent() for the pokes to leave (a stalled link must not hold answers). Default 2000 ms. */
  sentWaitMs?: number;
}

/** Entity id, version, cursor: a change the receiver reads from Postgres. */
type Ref = [entityId: string, version: number, cursor: string];

interface Poke {
  /** The user, or null for the exercise library (every device). */
  u: string | null;
  /** The device that pushed (its own sessions are skipped). */
  d: string;
  /** The snapshots (ChangesAvailable, base64), when small. */
  s?: string;
  /** Otherwise what to read. */
  r?: Ref[];
}

interface Message {
  /** The relay that sent it. */
  o: string;
  p: Poke[];
}

interface Watched {
  subscribers: number;
  /** Changes up to this cursor have been delivered or checked; undefined until first read. */
  checked: bigint | undefined;
  /** Versions delivered past `checked`, by entity, so a check does not send them twice. */
  delivered: Map<string, { version: number; cursor: bigint }>;
}

const REFS_PER_POKE = 50;
const CHECK_PAGE = 200;

export async function openCrossRelayFanout(openBackbone: OpenBackbone, options: CrossRelayOptions): Promise<CrossRelayFanout> {
  const fanout = new CrossRelayFanout(options);
  await fanout.attach(openBackbone);
  return fanout;
}

export class CrossRelayFanout implements Fanout {
  private readonly id = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  private readonly local = new InProcessFanout();
  private backbone: Backbone | undefined;
  private readonly users = new Map<string, Watched>();
  /** Per topic ("all" or a user id), the work of delivering, in order. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly pending: { topic: Topic; poke: Poke }[] = [];
  private readonly watching = new Set<Promise<void>>();
  private timer: TimerHandle = undefined;
  private closed = false;
  private readonly checkMs: number;
  private readonly inlineBytes: number;

  constructor(private readonly options: CrossRelayOptions) {
    this.checkMs = options.cursorCheckMs ?? 5000;
    this.inlineBytes = options.inlineBytes ?? 4096;
  }

  async attach(openBackbone: OpenBackbone): Promise<void> {
    this.backbone = await openBackbone({
      message: (text) => this.receive(text),
      reconnected: () => void this.checkCursors(),
    });
    this.schedule();
  }

  subscribe(userId: string, subscriber: Subscriber): () => void {
    const unsubscribe = this.local.subscribe(userId, subscriber);
    let watched = this.users.get(userId);
    if (!watched) {
      watched = { subscribers: 0, checked: undefined, delivered: new Map() };
      this.users.set(userId, watched);
      this.backbone?.watch(userId);
      this.startFrom(userId, watched);
    }
    watched.subscribers += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      unsubscribe();
      const current = this.users.get(userId);
      if (current && --current.subscribers === 0) {
        this.users.delete(userId);
        this.backbone?.unwatch(userId);
      }
    };
  }

  publish(userId: string, fromDeviceId: string, snapshots: EntitySnapshot[]): void {
    if (snapshots.length === 0) return;
    this.local.publish(userId, fromDeviceId, snapshots);
    this.recordDelivered(userId, snapshots);
    this.enqueue({ user: userId }, userId, fromDeviceId, snapshots);
  }

  publishToAll(snapshots: EntitySnapshot[]): void {
    if (snapshots.length === 0) return;
    this.local.publishToAll(snapshots);
    this.enqueue("all", null, "", snapshots);
  }

  /**
   * Resolves once the pokes of everything published so far have left (the backbone handed them
   * over, or found them lost), or after sentWaitMs. SyncService answers a batch only then.
   */
  async sent(): Promise<void> {
    // What this turn published goes now, so the wait covers it.
    this.flush();
    if (!this.backbone) return;
    let timer: TimerHandle;
    await Promise.race([
      this.backbone.sent(),
      new Promise<void>((resolve) => (timer = this.options.clock.setTimeout(resolve, this.options.sentWaitMs ?? 2000))),
    ]);
    this.options.clock.clearTimeout(timer);
  }

  async ready(): Promise<void> {
    await Promise.all([...this.watching]);
    await this.backbone?.ready();
  }

  /** /readyz's check: the link to the other relays is up (while down, pokes are lost). */
  readinessCheck(name: string): ReadinessCheck {
    return {
      name,
      check: () => (this.backbone?.linkUp() ? Promise.resolve() : Promise.reject(new Error("the link to the other relays is down: changes reach their devices only by cursor checks"))),
    };
  }

  /** Runs one cursor check now (the timer runs it every cursorCheckMs). */
  async checkCursors(): Promise<void> {
    const userIds = [...this.users.keys()];
    if (this.closed || userIds.length === 0) return;
    let latest: Map<string, bigint>;
    try {
      latest = await this.options.store.latestCursors(userIds);
    } catch (err) {
      this.options.log.error("fanout_check_failed", { error: String(err) });
      return;
    }
    await Promise.all(
      userIds.map((userId) => {
        const last = latest.get(userId) ?? 0n;
        const watched = this.users.get(userId);
        if (!watched) return Promise.resolve();
        // The first read failed (Postgres was away): start from now; the device's pull after
        // its reconnect covers what came before.
        watched.checked ??= last;
        if (last <= watched.checked) return Promise.resolve();
        return this.inOrder(userId, () => this.catchUp(userId, watched));
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.flush();
    await this.backbone?.close();
    await Promise.all([...this.chains.values()]);
  }

  /** The user's cursor when this relay started watching them: later changes are its to deliver. */
  private startFrom(userId: string, watched: Watched): void {
    const read = this.options.store.latestCursors([userId]).then(
      (cursors) => {
        watched.checked ??= cursors.get(userId) ?? 0n;
      },
      (err: unknown) => this.options.log.error("fanout_check_failed", { error: String(err) }),
    );
    this.watching.add(read);
    void read.finally(() => this.watching.delete(read));
  }

  /**
   * Sends on, from Postgres, every change past `checked` that no poke delivered. Versions are
   * read first, without documents; only the missed documents are read.
   */
  private async catchUp(userId: string, watched: Watched): Promise<void> {
    let after = watched.checked ?? 0n;
    try {
      for (;;) {
        const page = await this.options.store.versionsSince(userId, after, CHECK_PAGE);
        for (const entry of page.entries) {
          const seen = watched.delivered.get(entry.entityId);
          if (seen && seen.version >= entry.version) continue;
          const row = await this.options.store.get(userId, entry.entityId);
          if (!row) continue;
          this.local.publish(userId, row.deviceId, [snapshotOfRow(row)]);
          watched.delivered.set(row.entityId, { version: row.version, cursor: row.cursor });
        }
        after = page.cursor;
        if (!page.hasMore) break;
      }
    } catch (err) {
      this.options.log.error("fanout_check_failed", { error: String(err) });
    }
    if (watched.checked === undefined || after > watched.checked) watched.checked = after;
    for (const [entityId, seen] of watched.delivered) if (seen.cursor <= after) watched.delivered.delete(entityId);
    this.options.log.info("fanout_caught_up", { user_id: userId, cursor: after.toString() });
  }

  private recordDelivered(userId: string, snapshots: EntitySnapshot[]): void {
    const watched = this.users.get(userId);
    if (!watched) return;
    for (const s of snapshots) {
      const seen = watched.delivered.get(s.entityId);
      if (!seen || seen.version < s.version) watched.delivered.set(s.entityId, { version: s.version, cursor: s.cursor });
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = this.options.clock.setTimeout(() => {
      void this.checkCursors().finally(() => this.schedule());
    }, this.checkMs);
  }

  private enqueue(topic: Topic, userId: string | null, fromDeviceId: string, snapshots: EntitySnapshot[]): void {
    if (this.pending.length === 0) queueMicrotask(() => this.flush());
    // Each change rides along when it is small on its own: one big workout in a batch must not
    // send its small neighbours through Postgres too (every receiving relay would read them back).
    // Runs keep the published order, and the receiver handles a topic's pokes in order.
    let inline: EntitySnapshot[] = [];
    let inlineSize = 0;
    let refs: Ref[] = [];
    const sendInline = () => {
      if (inline.length === 0) return;
      const bytes = toBinary(ChangesAvailableSchema, create(ChangesAvailableSchema, { entities: inline }));
      this.pending.push({ topic, poke: { u: userId, d: fromDeviceId, s: Buffer.from(bytes).toString("base64") } });
      inline = [];
      inlineSize = 0;
    };
    const sendRefs = () => {
      for (const poke of referencePokes(userId, fromDeviceId, refs)) this.pending.push({ topic, poke });
      refs = [];
    };
    for (const snapshot of snapshots) {
      const size = toBinary(EntitySnapshotSchema, snapshot).length + 8;
      if (size <= this.inlineBytes) {
        sendRefs();
        if (inlineSize + size > this.inlineBytes) sendInline();
        inline.push(snapshot);
        inlineSize += size;
      } else {
        sendInline();
        refs.push(refOf(snapshot));
      }
    }
    sendInline();
    sendRefs();
  }

  /** Sends what this turn published: one message per topic, split only at the backbone's limit. */
  private flush(): void {
    const backbone = this.backbone;
    const pending = this.pending.splice(0);
    if (!backbone || pending.length === 0) return;
    const byTopic = new Map<string, { topic: Topic; pokes: Poke[] }>();
    for (const { topic, poke } of pending) {
      const key = topic === "all" ? "" : `u:${topic.user}`;
      let group = byTopic.get(key);
      if (!group) byTopic.set(key, (group = { topic, pokes: [] }));
      group.pokes.push(poke);
    }
    for (const { topic, pokes } of byTopic.values()) {
      let batch: Poke[] = [];
      let size = 0;
      const send = () => {
        if (batch.length > 0) backbone.send(topic, JSON.stringify({ o: this.id, p: batch } satisfies Message));
        batch = [];
        size = 0;
      };
      const add = (poke: Poke, length: number) => {
        if (size + length + 64 > backbone.maxMessageBytes) send();
        batch.push(poke);
        size += length;
      };
      for (const poke of pokes) {
        const length = JSON.stringify(poke).length + 1;
        if (length + 64 <= backbone.maxMessageBytes) {
          add(poke, length);
        } else if (poke.s !== undefined) {
          // Too big to ride even alone (inlineBytes set above what one message holds): the
          // receivers read the changes from Postgres, as for any change too big to ride.
          this.options.log.info("fanout_poke_sent_as_references", { bytes: length });
          for (const refs of referencePokes(poke.u, poke.d, decodeSnapshots(poke.s).map(refOf))) add(refs, JSON.stringify(refs).length + 1);
        } else {
          this.options.log.error("fanout_poke_too_big", { bytes: length });
        }
      }
      send();
    }
  }

  private receive(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      this.options.log.error("fanout_bad_message", { bytes: text.length });
      return;
    }
    if (message.o === this.id || !Array.isArray(message.p)) return;
    for (const poke of message.p) {
      const userId = poke.u;
      if (userId !== null && !this.users.has(userId)) continue;
      void this.inOrder(userId ?? "", async () => {
        const snapshots = poke.s !== undefined ? decodeSnapshots(poke.s) : await this.read(userId ?? CATALOG_OWNER, poke.r ?? []);
        if (snapshots.length === 0) return;
        if (userId === null) {
          this.local.publishToAll(snapshots);
        } else {
          this.local.publish(userId, poke.d, snapshots);
          this.recordDelivered(userId, snapshots);
        }
      });
    }
  }

  /** A poke's changes, read from Postgres as whole documents. */
  private async read(owner: string, refs: Ref[]): Promise<EntitySnapshot[]> {
    const snapshots: EntitySnapshot[] = [];
    try {
      for (const [entityId, version] of refs) {
        const row = await this.options.store.get(owner, entityId);
        if (row && row.version >= version) snapshots.push(snapshotOfRow(row));
      }
    } catch (err) {
      // The cursor check will bring them.
      this.options.log.error("fanout_read_failed", { error: String(err) });
    }
    return snapshots;
  }

  /** Work of one topic runs in order, so deliveries keep each publisher's order. */
  private inOrder(key: string, work: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(key) ?? Promise.resolve()).then(work).catch((err: unknown) => {
      this.options.log.error("fanout_delivery_failed", { error: String(err) });
    });
    this.chains.set(key, next);
    void next.then(() => {
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
    return next;
  }
}

function refOf(snapshot: EntitySnapshot): Ref {
  return [snapshot.entityId, snapshot.version, snapshot.cursor.toString()];
}

/** Pokes of references, REFS_PER_POKE a poke, in the order given. */
function referencePokes(userId: string | null, fromDeviceId: string, refs: Ref[]): Poke[] {
  const pokes: Poke[] = [];
  for (let i = 0; i < refs.length; i += REFS_PER_POKE) pokes.push({ u: userId, d: fromDeviceId, r: refs.slice(i, i + REFS_PER_POKE) });
  return pokes;
}

function decodeSnapshots(base64: string): EntitySnapshot[] {
  // A plain Uint8Array, not a Buffer: the decoded bytes fields are views of it.
  return fromBinary(ChangesAvailableSchema, new Uint8Array(Buffer.from(base64, "base64"))).entities;
}
