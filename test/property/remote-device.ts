// The test side of a device in its own process: HostProcess speaks the IPC protocol to one
// device-host.ts process, HostPool keeps warm host processes to reuse across runs (a process
// start costs 0.65 s of CPU or more, see bundles.ts; opening a client in a warm one, milliseconds),
// and RemoteDevice
// is one device of a run: its folder, its options, and whichever host process runs it now.
import { fork, type ChildProcess } from "node:child_process";
import { command } from "./bundles.js";
import type { ConflictChoice, EntityType, Payloads, SyncReport } from "../../client/core/index.js";
import { LOCAL_CHANGES, type HostError, type HostEvent, type HostMessage, type Op, type OpenArgs, type Ops } from "./host-protocol.js";
import type { Mutation } from "./mutations.js";

/** A request not answered in this long is a hang: the run fails saying which call hung where. */
const CALL_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 30_000;

/** A request the device answered with an error ({code, message}). */
export class HostCallError extends Error {
  override readonly name = "HostCallError";
  constructor(
    readonly op: Op,
    readonly error: HostError,
  ) {
    super(`${op}: ${error.message}`);
  }
  get code(): string | null {
    return this.error.code;
  }
}

/** The host process is gone (killed by the test, or died) or a request hung. */
export class HostGoneError extends Error {
  override readonly name = "HostGoneError";
}

interface Pending {
  op: Op;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface HostOwner {
  event(event: HostEvent): void;
  /** The process ended without the test asking; `why` says how, with its last output. */
  died(why: string): void;
}

export class HostProcess {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderr = "";
  private killAfterSave = false;
  private killedOnPurpose = false;
  owner: HostOwner | undefined;
  /** Told events that arrive while no device owns the host (between runs). */
  orphan: ((event: HostEvent) => void) | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  /** Whether a client is open in it (a host goes back to the pool only without one). */
  clientOpen = false;
  /**
   * A client's open or close failed in it: something of that client may still run (a Repo that
   * never shut down), so the host is not reused for another run.
   */
  tainted = false;

  private constructor(private readonly child: ChildProcess) {
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8192);
    });
    child.on("message", (message: HostMessage) => this.receive(message));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        const why = this.killedOnPurpose ? "killed by the test" : `died unasked (${signal ?? `exit code ${code}`})`;
        for (const [id, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(new HostGoneError(`host ${child.pid} ${why} during ${p.op}`));
          this.pending.delete(id);
        }
        if (!this.killedOnPurpose) this.owner?.died(`host process ${child.pid} ${why}; its last output:\n${this.stderr.trim() || "(none)"}`);
        resolve();
      });
    });
  }

  static async spawn(): Promise<HostProcess> {
    // PROPERTY_HOST_PROFILE=folder: each host writes a CPU profile there when it exits.
    const profile = process.env["PROPERTY_HOST_PROFILE"];
    const { script, execArgv } = await command("test/property/device-host.ts", profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []);
    const child = fork(script, [], {
      execArgv,
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    const host = new HostProcess(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        host.killNow();
        reject(new Error(`device host not ready within ${READY_TIMEOUT_MS} ms:\n${host.stderr}`));
      }, READY_TIMEOUT_MS);
      child.on("message", (m: HostMessage) => {
        if ("event" in m && m.event === "ready") {
          clearTimeout(timer);
          resolve();
        }
      });
      void host.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`device host exited before it was ready (${JSON.stringify(host.exit)}):\n${host.stderr}`));
      });
    });
    return host;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  call<K extends Op>(op: K, args: Ops[K][0], timeoutMs = CALL_TIMEOUT_MS): Promise<Ops[K][1]> {
    if (!this.alive) return Promise.reject(new HostGoneError(`host ${this.pid} is gone (${op})`));
    const id = this.nextId++;
    return new Promise<Ops[K][1]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new HostGoneError(`${op} not answered within ${timeoutMs} ms by host ${this.pid} (a hang); last output:\n${this.stderr.trim() || "(none)"}`));
      }, timeoutMs);
      this.pending.set(id, { op, resolve, reject, timer });
      this.child.send({ id, op, args });
    });
  }

  /** SIGKILL the moment the next local change is answered as saved. */
  armKillAfterNextSave(): void {
    this.killAfterSave = true;
  }

  get killArmed(): boolean {
    return this.killAfterSave;
  }

  disarm(): void {
    this.killAfterSave = false;
  }

  /** The test has SIGKILLed it (it may not have exited yet). */
  get killRequested(): boolean {
    return this.killedOnPurpose;
  }

  /** A polite end: the host exits when its IPC channel closes (SIGKILL after 5 s). */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.killedOnPurpose = true;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL, at once (synchronous, so it can happen at an exact moment). */
  killNow(): void {
    this.killAfterSave = false;
    if (!this.alive) return;
    this.killedOnPurpose = true;
    this.child.kill("SIGKILL");
  }

  private receive(message: HostMessage): void {
    if ("event" in message) {
      if (message.event === "ready") return;
      if (this.owner) this.owner.event(message);
      else this.orphan?.(message);
      return;
    }
    const reply = message;
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    if (reply.ok) {
      // "Saved" has been said: the device dies before anything else happens in this process.
      if (this.killAfterSave && LOCAL_CHANGES.has(p.op)) this.killNow();
      p.resolve(reply.value);
    } else {
      p.reject(new HostCallError(p.op, reply.error));
    }
  }
}

/**
 * Warm host processes, reused across runs: `size` live ones at all times (as many as a run uses,
 * and a spare for a device that is killed and opened again); a killed one is replaced in the
 * background.
 */
export class HostPool {
  private readonly idle: HostProcess[] = [];
  private readonly starting = new Set<Promise<HostProcess>>();
  private readonly all = new Set<HostProcess>();
  private spawnError: Error | undefined;
  private closed = false;
  /** Events from hosts no device owned at the time (a closed client that still threw). */
  private readonly orphans: string[] = [];
  /** Process starts so far, for the stats. */
  started = 0;

  constructor(private readonly size: number) {}

  /** Resolves once `size` hosts are ready. */
  async warm(): Promise<void> {
    this.refill();
    await Promise.all([...this.starting]);
  }

  async acquire(): Promise<HostProcess> {
    for (;;) {
      // A run still going after the test gave up (a vitest timeout) starts no process after close.
      if (this.closed) throw new HostGoneError("the host pool is closed (the test is over)");
      if (this.spawnError) throw this.spawnError;
      const host = this.idle.pop();
      if (host?.alive) {
        this.refill();
        return host;
      }
      if (host) continue;
      this.refill();
      // Every live host is in use: one more than `size` for now.
      if (this.starting.size === 0) this.startOne();
      // A host that finishes starting goes to `idle` (its handler runs before this wakes up).
      await Promise.race([...this.starting]).catch(() => undefined);
    }
  }

  /** Back to the pool; a host that cannot be reused (a client still open in it) is killed. */
  release(host: HostProcess): void {
    host.owner = undefined;
    host.disarm();
    if (!host.alive || this.idle.includes(host)) return;
    if (host.clientOpen || host.killRequested || host.tainted) host.killNow();
    else this.idle.push(host);
  }

  /** Starts hosts in the background until `size` live ones exist (idle, in use or starting). */
  refill(): void {
    if (this.closed) return;
    const live = [...this.all].filter((h) => h.alive && !h.killRequested).length;
    for (let n = live + this.starting.size; n < this.size; n++) this.startOne();
  }

  private startOne(): void {
    if (this.closed) return;
    const p = this.spawn();
    this.starting.add(p);
    p.then(
      (host) => {
        this.starting.delete(p);
        // Ready after close: close() may already have stopped the others.
        if (this.closed) void host.stop();
        else this.idle.push(host);
      },
      (err: unknown) => {
        this.starting.delete(p);
        this.spawnError = err instanceof Error ? err : new Error(String(err));
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.starting]);
    await Promise.all([...this.all].map((h) => h.stop()));
  }

  /** Events that arrived between runs, as lines; each run takes them and fails on any. */
  takeOrphans(): string[] {
    return this.orphans.splice(0);
  }

  private async spawn(): Promise<HostProcess> {
    this.started++;
    const host = await HostProcess.spawn();
    host.orphan = (event) => this.orphans.push(`between runs, host ${host.pid} reported ${JSON.stringify(event)}`);
    this.all.add(host);
    void host.exited.then(() => {
      this.all.delete(host);
      // A killed host is replaced while the run goes on.
      if (!this.closed) this.refill();
    });
    return host;
  }
}

export interface DeviceHooks {
  event(device: RemoteDevice, event: HostEvent): void;
  died(device: RemoteDevice, why: string): void;
}

/** One device of a run. Its client lives in a host process; its folder outlives the process. */
export class RemoteDevice implements HostOwner {
  private host: HostProcess | undefined;
  /** open: a client is open; down: closed or killed (its folder stays). */
  state: "open" | "down" = "down";
  killed = 0;
  deviceId = "";
  /** The relay's id of the person, known once the device signed in. */
  userId = "";
  /** The host's count of clients it opened, at this device's latest open. */
  generation = 0;
  /** Set when an armed kill happened right after a change was answered; the step clears it. */
  killedAfterSave = false;

  constructor(
    private readonly pool: HostPool,
    readonly index: number,
    readonly name: string,
    private readonly options: Omit<OpenArgs, "clock">,
    private readonly hooks: DeviceHooks,
  ) {}

  get dataDir(): string {
    return this.options.dataDir;
  }

  get isOpen(): boolean {
    return this.state === "open" && this.host?.alive === true;
  }

  get pid(): number | undefined {
    return this.host?.pid;
  }

  event(event: HostEvent): void {
    this.hooks.event(this, event);
  }

  died(why: string): void {
    this.state = "down";
    this.hooks.died(this, why);
  }

  /** Opens the client on the device's folder, in its host or, if that is gone, a warm one. */
  async open(clock: number): Promise<void> {
    if (!this.host?.alive) {
      this.host = await this.pool.acquire();
      this.host.owner = this;
    }
    const host = this.host;
    // Signed in once; every later open (after a kill, with the relay perhaps down) uses the
    // session the folder kept, as a device that opens without signal does.
    const { account, ...options } = this.options;
    const args = { ...options, ...(this.userId === "" && account ? { account } : {}), clock };
    const { deviceId, userId, generation } = await host.call("open", args).catch((err: unknown) => {
      host.tainted = true;
      throw err;
    });
    host.clientOpen = true;
    this.deviceId = deviceId;
    this.userId = userId;
    this.generation = generation;
    this.state = "open";
  }

  /** A clean close of the client (flushes); the host stays for a reopen. */
  async close(): Promise<void> {
    const host = this.host;
    if (host && this.isOpen) {
      await host.call("close", {}).catch((err: unknown) => {
        host.tainted = true;
        throw err;
      });
    }
    if (host) host.clientOpen = false;
    this.state = "down";
  }

  /** Closes the client and gives the host back to the pool. */
  async release(): Promise<void> {
    try {
      await this.close();
    } finally {
      if (this.host) this.pool.release(this.host);
      this.host = undefined;
    }
  }

  /** SIGKILL now; resolves once the process is gone. */
  async killNow(): Promise<void> {
    const host = this.host;
    if (!host) return;
    host.killNow();
    this.state = "down";
    this.killed++;
    await host.exited;
    this.host = undefined;
  }

  /** SIGKILL the moment the next local change is answered (right after "saved"). */
  killAfterNextSave(): void {
    this.host?.armKillAfterNextSave();
  }

  get killArmed(): boolean {
    return this.host?.killArmed ?? false;
  }

  private async call<K extends Op>(op: K, args: Ops[K][0]): Promise<Ops[K][1]> {
    const host = this.host;
    if (!host) throw new HostGoneError(`${this.name} has no process (${op})`);
    const value = await host.call(op, args);
    if (host.killRequested && this.host === host) {
      // The armed kill happened as this change was answered "saved".
      this.state = "down";
      this.killed++;
      this.host = undefined;
      this.killedAfterSave = true;
      await host.exited;
    }
    return value;
  }

  setClock(now: number) {
    return this.call("setClock", { now });
  }
  create<T extends EntityType>(type: T, payload: Payloads[T]) {
    return this.call("create", { type, payload });
  }
  update(id: string, mutation: Mutation) {
    return this.call("update", { id, mutation });
  }
  delete(id: string, basedOn?: string[]) {
    return this.call("delete", { id, basedOn });
  }
  get(id: string) {
    return this.call("get", { id });
  }
  read(id: string) {
    return this.call("read", { id });
  }
  list(type?: EntityType, options: { includeDeleted?: boolean } = {}) {
    return this.call("list", { type, includeDeleted: options.includeDeleted });
  }
  readAll() {
    return this.call("readAll", {});
  }
  conflicts() {
    return this.call("conflicts", {});
  }
  resolveConflict(id: string, choice: ConflictChoice, seenServerVersion?: number) {
    return this.call("resolveConflict", { id, choice, ...(seenServerVersion === undefined ? {} : { seenServerVersion }) });
  }
  resolutions() {
    return this.call("resolutions", {});
  }
  restoreResolution(id: string) {
    return this.call("restoreResolution", { id });
  }
  syncNow(): Promise<SyncReport> {
    return this.call("syncNow", {});
  }
  status() {
    return this.call("status", {});
  }
  queueItems() {
    return this.call("queueItems", {});
  }
}
