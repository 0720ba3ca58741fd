// The relay of the property test: relay-main.ts (relay/main.ts with test accounts and, unless
// PROPERTY_LIBRARY=1, without the exercise library; see there) in its own process, started through
// test/faults/relay-process.ts so it can be SIGKILLed and started again on the same port, on a
// database of the test's private PostgreSQL cluster, so the database server itself can be
// restarted without disturbing the other test files. One relay process and one database serve
// every run of a test process, each run being a user of its own: a fresh database per run would
// need a relay start per run (about 0.5 s of CPU each), and users share no rows.
import * as A from "@automerge/automerge";
import { startRelayProcess, type RelayProcess } from "../faults/relay-process.js";
import { freePort } from "../support/ports.js";
import { command, type Command } from "./bundles.js";
import { privatePostgres, type PrivatePostgres, type StopMode } from "../support/private-postgres.js";

/**
 * How long a relay process may take to say it is ready. A backstop: on an idle machine it is
 * ready in about a second, but on a machine loaded by other work it took more than 20 s here.
 */
const RELAY_READY_TIMEOUT_MS = 60_000;

/** A row of the relay's entities table, read straight from Postgres, its document decoded. */
export interface RelayRow {
  userId: string;
  entityId: string;
  entityType: string;
  version: number;
  deleted: boolean;
  /** The materialised JSON column. */
  data: unknown;
  /** The Automerge document column, loaded and turned into JSON. */
  doc: unknown;
}

export class RelayUnderTest {
  private relay: RelayProcess;
  private restarting: Promise<void> | undefined;
  /** A database restart in progress: a relay starting meanwhile waits for it (it could not migrate). */
  private pgRestarting: Promise<void> | undefined;
  private killedOnPurpose = false;
  /** The last start failed: no relay process runs (ready() tries again). */
  private down = false;
  /** The relay ended without being asked to: how, with its last output. Taken by each run. */
  private deaths: string[] = [];
  /** Lines the relay logged at level "error" since the last take. */
  private errors: string[] = [];
  kills = 0;
  postgresRestarts = 0;

  private constructor(
    readonly pg: PrivatePostgres,
    readonly database: string,
    readonly port: number,
    relay: RelayProcess,
    private readonly start: Command,
    private readonly env: Record<string, string>,
  ) {
    this.relay = relay;
    this.watch(relay);
  }

  /** library: the relay publishes the exercise library, as relay/main.ts does. */
  static async start(options: { library: boolean }): Promise<RelayUnderTest> {
    const pg = await privatePostgres();
    const database = await pg.createDatabase("property");
    const port = await freePort();
    const start = await command("test/property/relay-main.ts");
    const env = { PUBLISH_LIBRARY: options.library ? "1" : "0" };
    const relay = await startRelayProcess({
      databaseUrl: pg.url(database),
      port,
      env,
      entry: start.script,
      execArgv: start.execArgv,
      readyTimeoutMs: RELAY_READY_TIMEOUT_MS,
      onLine: (line) => current?.logged(line),
    });
    const r = new RelayUnderTest(pg, database, port, relay, start, env);
    current = r;
    // A test process that ends without close() leaves no relay behind.
    process.once("exit", r.killOnExit);
    return r;
  }

  get syncUrl(): string {
    return `ws://127.0.0.1:${this.port}/sync`;
  }

  /** Resolves once a restart in progress is done (steps and heal wait for it); starts a relay that failed to start again. */
  async ready(): Promise<void> {
    while (this.restarting) await this.restarting;
    if (!this.down) return;
    this.restarting = this.startAgain().finally(() => {
      this.restarting = undefined;
    });
    await this.restarting;
  }

  /**
   * SIGKILL the relay now (synchronously) and start it again on the same port, in the background.
   * False when it is already starting again (nothing to kill yet).
   */
  crash(): boolean {
    if (this.restarting) return false;
    this.kills++;
    this.killedOnPurpose = true;
    this.relay.killNow();
    const dead = this.relay;
    this.restarting = (async () => {
      await dead.exited;
      await this.startAgain();
    })().finally(() => {
      this.restarting = undefined;
    });
    return true;
  }

  /** SIGKILL and start again; resolves once the new relay is ready. */
  async kill(): Promise<void> {
    this.crash();
    await this.ready();
  }

  /** A clean stop (SIGTERM) and start again; resolves once the new relay is ready. */
  async restartCleanly(): Promise<void> {
    await this.ready();
    this.killedOnPurpose = true;
    const stopping = this.relay.stop();
    this.restarting = (async () => {
      await stopping;
      await this.startAgain();
    })().finally(() => {
      this.restarting = undefined;
    });
    await this.ready();
  }

  /** A real restart of the database server: "immediate" is a crash, "fast" a clean stop. */
  async restartPostgres(mode: StopMode): Promise<void> {
    await this.ready();
    this.postgresRestarts++;
    this.pgRestarting = this.pg.restart(mode).finally(() => {
      this.pgRestarting = undefined;
    });
    await this.pgRestarting;
  }

  /**
   * For failure messages: whether the database server takes a new connection now, and the last
   * lines of its log (a server that did not come back, or died later, shows there).
   */
  async describePostgres(): Promise<string> {
    const probe = await this.pg.withClient(this.database, (client) => client.query("SELECT 1")).then(
      () => "takes a new connection now",
      (err: unknown) => `refuses a new connection now (${err instanceof Error ? err.message : String(err)})`,
    );
    return `postgres (port ${this.pg.port}, restarted ${this.postgresRestarts} time(s) by this test process) ${probe}; the last lines of its log:\n${this.pg.logTail(20)}`;
  }

  /** Deaths the relay died unasked since the last call (it was started again each time). */
  takeDeaths(): string[] {
    return this.deaths.splice(0);
  }

  takeErrors(): string[] {
    return this.errors.splice(0);
  }

  /** The user's rows and the exercise library's, straight from Postgres. */
  async rows(userIds: string[]): Promise<RelayRow[]> {
    return this.pg.withClient(this.database, async (client) => {
      const result = await client.query<{ user_id: string; entity_id: string; entity_type: string; version: number; deleted: boolean; data: unknown; doc: Buffer }>(
        "SELECT user_id, entity_id, entity_type, version, deleted, data, doc FROM entities WHERE user_id = ANY($1) ORDER BY user_id, entity_id",
        [userIds],
      );
      return result.rows.map((r) => {
        const loaded = A.load(new Uint8Array(r.doc.buffer, r.doc.byteOffset, r.doc.byteLength));
        const doc = A.toJS(loaded);
        A.free(loaded);
        return { userId: r.user_id, entityId: r.entity_id, entityType: r.entity_type, version: r.version, deleted: r.deleted, data: r.data, doc };
      });
    });
  }

  async close(): Promise<void> {
    await this.restarting?.catch(() => undefined);
    this.killedOnPurpose = true;
    await this.relay.stop();
    process.off("exit", this.killOnExit);
    if (current === this) current = undefined;
  }

  private readonly killOnExit = () => this.relay.killNow();

  private logged(line: string): void {
    if (line.includes('"level":"error"')) this.errors.push(line);
  }

  /**
   * Starts the relay again. Never rejects: a start in the background has nobody awaiting it, and
   * a relay that did not start would leave every later run without one, each failing as if its
   * devices could not sync. The failure is a death instead (the run fails saying so), and the
   * next ready() starts it once more.
   */
  private async startAgain(): Promise<void> {
    await this.pgRestarting?.catch(() => undefined);
    try {
      this.relay = await startRelayProcess({
        databaseUrl: this.pg.url(this.database),
        port: this.port,
        env: this.env,
        entry: this.start.script,
        execArgv: this.start.execArgv,
        readyTimeoutMs: RELAY_READY_TIMEOUT_MS,
        onLine: (line) => this.logged(line),
      });
    } catch (err) {
      this.down = true;
      this.deaths.push(`the relay did not start again: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    this.down = false;
    this.killedOnPurpose = false;
    this.watch(this.relay);
  }

  private watch(relay: RelayProcess): void {
    void relay.exited.then(() => {
      if (this.killedOnPurpose || relay !== this.relay) return;
      const tail = relay.output().split("\n").slice(-30).join("\n");
      this.deaths.push(`the relay process died unasked (${JSON.stringify(relay.exit)}); its last output:\n${tail}`);
      // Back up for the runs that follow; the run it happened in fails.
      this.killedOnPurpose = true;
      this.restarting = this.startAgain().finally(() => {
        this.restarting = undefined;
      });
    });
  }
}

let current: RelayUnderTest | undefined;

