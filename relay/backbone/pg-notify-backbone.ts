// The backbone on the shared Postgres: NOTIFY on one channel per schema, LISTEN on a connection
// of its own. Every relay receives every message (a few relays on one database; NATS with its
// per-user subjects is the one to use beyond). NOTIFY runs on its own connection, outside any
// write transaction: the fan-out only sends after the commit returned.
// Specification: docs/relay.md
// pg is imported when this backbone is opened (a Postgres URL without NATS), not at the relay's start.
import type { Client } from "pg";
import type { Clock, TimerHandle } from "../clock.js";
import type { Logger } from "../logger.js";
import type { Backbone, BackboneHandlers, Topic } from "./backbone.js";

export interface PgNotifyOptions {
  connectionString: string;
  clock: Clock;
  log: Logger;
  /** Wait before connecting again after the link broke. Default 1000 ms. */
  reconnectMs?: number;
  /**
   * Longest wait for the connection that sends, and for each NOTIFY, before the message is given
   * up as lost and the next one goes on a new connection. Default 5000 ms.
   */
  sendTimeoutMs?: number;
}

/** Postgres refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7900;

export async function openPgNotifyBackbone(options: PgNotifyOptions, handlers: BackboneHandlers): Promise<Backbone> {
  const backbone = new PgNotifyBackbone(options, handlers);
  await backbone.start();
  return backbone;
}

class PgNotifyBackbone implements Backbone {
  readonly maxMessageBytes = MAX_PAYLOAD;
  private listener: Client | undefined;
  private notifier: Promise<Client> | undefined;
  private channel = "";
  private sending: Promise<void> = Promise.resolve();
  private retry: TimerHandle = undefined;
  private closed = false;
  private down = false;

  constructor(
    private readonly options: PgNotifyOptions,
    private readonly handlers: BackboneHandlers,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  send(_topic: Topic, text: string): void {
    // One connection, one query at a time: messages leave in the order they were sent.
    this.sending = this.sending.then(async () => {
      if (this.closed) return;
      try {
        // A path that drops packets answers neither the connect nor the NOTIFY, and no error comes
        // for minutes: without a bound, every later poke would wait behind this one.
        const notifier = await this.within((this.notifier ??= this.openNotifier()));
        await this.within(notifier.query("SELECT pg_notify($1, $2)", [this.channel, text]));
      } catch (err) {
        this.options.log.error("fanout_send_failed", { backbone: "postgres", error: String(err) });
        const broken = this.notifier;
        this.notifier = undefined;
        void broken?.then((client) => client.end()).catch(() => undefined);
      }
    });
  }

  /** `work`, or a rejection once sendTimeoutMs passed on the relay's clock. */
  private async within<T>(work: Promise<T>): Promise<T> {
    const ms = this.options.sendTimeoutMs ?? 5000;
    let timer: TimerHandle;
    const expired = new Promise<never>((_, reject) => {
      timer = this.options.clock.setTimeout(() => reject(new Error(`no answer from Postgres in ${String(ms)} ms`)), ms);
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      this.options.clock.clearTimeout(timer);
    }
  }

  /** Each NOTIFY runs in a transaction of its own: once its query returned, the other relays get it. */
  sent(): Promise<void> {
    return this.sending;
  }

  watch(): void {}
  unwatch(): void {}

  ready(): Promise<void> {
    return Promise.resolve();
  }

  linkUp(): boolean {
    return !this.down && !this.closed && this.listener !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== undefined) this.options.clock.clearTimeout(this.retry);
    await this.sending;
    await Promise.all([this.listener?.end().catch(() => undefined), this.notifier?.then((client) => client.end()).catch(() => undefined)]);
  }

  private async openNotifier(): Promise<Client> {
    const { Client } = await import("pg");
    const client = new Client({ connectionString: this.options.connectionString, application_name: "ironflow-fanout" });
    client.on("error", () => undefined); // a broken notifier is found by its next query
    await client.connect();
    return client;
  }

  private async connect(): Promise<void> {
    const { Client } = await import("pg");
    const client = new Client({ connectionString: this.options.connectionString, application_name: "ironflow-fanout-listen" });
    client.on("notification", (msg) => {
      if (msg.channel === this.channel && msg.payload !== undefined) this.handlers.message(msg.payload);
    });
    client.on("error", (err) => this.broken(client, err));
    client.on("end", () => this.broken(client, new Error("connection ended")));
    try {
      await client.connect();
      // Tests put each relay store in a schema of its own on one database; channels are per
      // database, so the schema is part of the channel's name.
      const result = await client.query<{ schema: string | null }>("SELECT current_schema() AS schema");
      const schema = (result.rows[0]?.schema ?? "public").replace(/[^a-z0-9_]/g, "_");
      this.channel = `ironflow_fanout_${schema}`.slice(0, 63);
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      client.removeAllListeners("end");
      await client.end().catch(() => undefined);
      throw err;
    }
    this.listener = client;
  }

  private broken(client: Client, err: Error): void {
    if (this.closed || this.listener !== client || this.down) return;
    this.down = true;
    this.listener = undefined;
    this.options.log.error("fanout_backbone_down", { backbone: "postgres", error: String(err) });
    void client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.retry = this.options.clock.setTimeout(() => {
      this.retry = undefined;
      if (this.closed) return;
      this.connect().then(
        () => {
          this.down = false;
          this.options.log.info("fanout_backbone_up", { backbone: "postgres" });
          this.handlers.reconnected();
        },
        () => this.scheduleReconnect(),
      );
    }, this.options.reconnectMs ?? 1000);
  }
}
