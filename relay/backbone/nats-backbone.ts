// The backbone on NATS: a subject per user (and one for the exercise library); a relay
// subscribes to the subjects of the people connected to it. A publish while the server is down
// does not throw and is lost (the client drops its outgoing buffer on reconnect), so on every
// reconnect the fan-out is told to check cursors at once.
// Specification: docs/relay.md
// The NATS client is imported when NATS_URL asks for it: a relay without it does not pay its loading.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { Backbone, BackboneHandlers, Topic } from "./backbone.js";

export interface NatsOptions {
  /** nats://host:port, or several separated by commas. */
  url: string;
  clock: Clock;
  log: Logger;
  /** Subjects start with this. Default "ironflow.fanout". */
  prefix?: string;
  /** Longest wait of ready() for the server to confirm subscriptions. Default 2000 ms. */
  readyTimeoutMs?: number;
}

export async function openNatsBackbone(options: NatsOptions, handlers: BackboneHandlers): Promise<Backbone> {
  const { connect } = await import("@nats-io/transport-node");
  const nc = await connect({
    servers: options.url.split(","),
    name: "ironflow-relay",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
  return new NatsBackbone(nc, options, handlers);
}

class NatsBackbone implements Backbone {
  readonly maxMessageBytes: number;
  private readonly prefix: string;
  private readonly users = new Map<string, Subscription>();
  private connected = true;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsOptions,
    private readonly handlers: BackboneHandlers,
  ) {
    this.prefix = options.prefix ?? "ironflow.fanout";
    // The server's limit (1 MB by default) less room for the protocol line.
    this.maxMessageBytes = Math.max(1024, nc.info?.max_payload ?? 1024 * 1024) - 512;
    this.subscribe(`${this.prefix}.all`);
    void this.watchStatus();
  }

  linkUp(): boolean {
    return this.connected && !this.closed;
  }

  send(topic: Topic, text: string): void {
    try {
      this.nc.publish(this.subject(topic), text);
    } catch (err) {
      // Closed, or the message is over the server's limit: lost, as any poke may be.
      this.options.log.error("fanout_send_failed", { backbone: "nats", error: String(err) });
    }
  }

  /** The client writes what publish buffered at the end of the turn, before an answer sent later. */
  sent(): Promise<void> {
    return Promise.resolve();
  }

  watch(userId: string): void {
    if (this.closed || this.users.has(userId)) return;
    this.users.set(userId, this.subscribe(this.subject({ user: userId })));
  }

  unwatch(userId: string): void {
    this.users.get(userId)?.unsubscribe();
    this.users.delete(userId);
  }

  async ready(): Promise<void> {
    if (!this.connected || this.closed) return;
    // flush() is a round trip: the server has every subscription sent before it.
    let timer: unknown;
    await Promise.race([
      this.nc.flush().catch(() => undefined),
      new Promise<void>((resolve) => (timer = this.options.clock.setTimeout(resolve, this.options.readyTimeoutMs ?? 2000))),
    ]);
    this.options.clock.clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.nc.close().catch(() => undefined);
  }

  private subscribe(subject: string): Subscription {
    return this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (!err) this.handlers.message(msg.string());
      },
    });
  }

  private subject(topic: Topic): string {
    return topic === "all" ? `${this.prefix}.all` : `${this.prefix}.user.${subjectToken(topic.user)}`;
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === "disconnect") {
        this.connected = false;
        this.options.log.error("fanout_backbone_down", { backbone: "nats" });
      } else if (status.type === "reconnect") {
        this.connected = true;
        this.options.log.info("fanout_backbone_up", { backbone: "nats" });
        this.handlers.reconnected();
      }
    }
  }
}

/** A user id as one subject token: anything but letters, digits, - and _ is escaped. */
function subjectToken(userId: string): string {
  return userId.replace(/[^A-Za-z0-9_-]/g, (c) => `~${(c.codePointAt(0) ?? 0).toString(16)}~`);
}
