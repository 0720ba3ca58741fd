// A TCP proxy on loopback between devices and a relay, under the test's control. It knows
// nothing of WebSockets or frames: it moves bytes, and a fault is what a network does to bytes.
//
// Modes (for bytes arriving from now on):
// - pass: bytes go through as they come;
// - blackhole: bytes are dropped both ways and no connection is closed, as on a path that lost
//   its route. A connection that lost bytes is corrupt, so it keeps dropping them after the
//   network heals, until the device closes it: only new connections work again (the way a TCP
//   connection stalled past its retransmissions never recovers by itself). The relay closing its
//   side of such a connection (e.g. its HTTP server giving up on a request that never came) is
//   not passed on either: on a blackholed path that news would never reach the device;
// - delay: every chunk is held `ms` milliseconds before it is written on, in order.
// cut() destroys every current connection with a reset; new connections are accepted as usual.
// retarget() makes the proxy a load balancer switching backends: new connections go to another
// relay, current ones stay where they are.
// cutOnNextReply() arms a cut for the moment the relay next sends bytes (the bytes are dropped):
// what the relay did is done, the device never hears of it. onNextRequest() runs a callback as
// soon as the next bytes from a device have been handed to the relay's socket; onReply() runs
// one once bytes from the relay that it accepts have been handed to the device's socket.
// lastWordsAfter() makes the upstream's next chunk that ends with given bytes its last: more bytes
// follow in the same write and the upstream's side closes (a server that says why it goes away
// right after its previous message, as Postgres does when it shuts down).
//
// Real time is used only for the proxy's own behaviour (the delay); the test waits on events.
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";

export type ProxyMode = { kind: "pass" } | { kind: "blackhole" } | { kind: "delay"; ms: number };

/** up: device to relay; down: relay to device. */
export type Direction = "up" | "down";

interface Held {
  dueAt: number;
  chunk: Buffer | "end";
}

interface Pipe {
  device: Socket;
  relay: Socket;
  /** Bytes were dropped on this connection: it never forwards again. */
  poisoned: boolean;
  held: Record<Direction, Held[]>;
  timers: Record<Direction, ReturnType<typeof setTimeout> | undefined>;
}

export interface ProxyStats {
  /** Connections accepted since the proxy opened. */
  accepted: number;
  /** Connections currently open. */
  open: number;
  /** Bytes written on, per direction. */
  forwarded: Record<Direction, number>;
  /** Bytes dropped by a blackhole or an armed cut, per direction. */
  dropped: Record<Direction, number>;
  cuts: number;
}

export class TcpProxy {
  private readonly pipes = new Set<Pipe>();
  private mode: ProxyMode = { kind: "pass" };
  private cutArmed: { before: () => void } | undefined;
  private lastWords: { after: Buffer; words: Buffer } | undefined;
  private requestArmed: (() => void) | undefined;
  private replyArmed: ((chunk: Buffer) => boolean) | undefined;
  private readonly listeners = new Set<() => void>();
  readonly stats: ProxyStats = { accepted: 0, open: 0, forwarded: { up: 0, down: 0 }, dropped: { up: 0, down: 0 }, cuts: 0 };

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private upstream: { host: string; port: number },
  ) {
    server.on("connection", (device) => this.accept(device));
  }

  /** Listens on an ephemeral loopback port and forwards to `upstream`. */
  static async open(upstream: { host?: string; port: number }): Promise<TcpProxy> {
    // Half-open allowed: an end travels through the proxy like data, after what is held.
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new TcpProxy(server, port, { host: upstream.host ?? "127.0.0.1", port: upstream.port });
  }

  /** The relay's sync endpoint as seen through the proxy. */
  get syncUrl(): string {
    return `ws://127.0.0.1:${this.port}/sync`;
  }

  /** New connections go to the relay on `port` from now on. */
  retarget(port: number, host = "127.0.0.1"): void {
    this.upstream = { host, port };
  }

  pass(): void {
    this.mode = { kind: "pass" };
  }

  blackhole(): void {
    this.mode = { kind: "blackhole" };
  }

  delay(ms: number): void {
    this.mode = { kind: "delay", ms };
  }

  /** Destroys every current connection (both sides see a reset). Returns how many. */
  cut(): number {
    const pipes = [...this.pipes];
    for (const pipe of pipes) this.destroy(pipe, true);
    this.stats.cuts += 1;
    this.changed();
    return pipes.length;
  }

  /**
   * The next bytes from the relay are dropped and every connection is cut at that moment;
   * `before` runs first (e.g. to kill the relay at the same instant).
   */
  cutOnNextReply(before: () => void = () => undefined): void {
    this.cutArmed = { before };
  }

  /**
   * The next chunk from the upstream that ends with `after` is written on with `words` appended,
   * in one write, and the upstream's side of that connection then ends.
   */
  lastWordsAfter(after: Buffer, words: Buffer): void {
    this.lastWords = { after, words };
  }

  /** Runs `fn` once the next bytes from a device have been written to the relay's socket. */
  onNextRequest(fn: () => void): void {
    this.requestArmed = fn;
  }

  /**
   * Runs `fn` with each chunk from the relay once it has been written to the device's socket,
   * until `fn` returns true (e.g. the first chunk big enough to be a sync answer, not a pong).
   */
  onReply(fn: (chunk: Buffer) => boolean): void {
    this.replyArmed = fn;
  }

  /** Called after anything in stats changed (a connection accepted or closed, a cut, a drop). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when `predicate` holds, checked now and on every change; never waits on time. */
  waitFor(predicate: (stats: ProxyStats) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate(this.stats)) return;
        unsubscribe();
        resolve();
      };
      const unsubscribe = this.onChange(check);
      check();
    });
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const pipe of [...this.pipes]) this.destroy(pipe, false);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.listeners.clear();
  }

  private accept(device: Socket): void {
    const relay = connect({ port: this.upstream.port, host: this.upstream.host, allowHalfOpen: true });
    const pipe: Pipe = {
      device,
      relay,
      poisoned: false,
      held: { up: [], down: [] },
      timers: { up: undefined, down: undefined },
    };
    this.pipes.add(pipe);
    this.stats.accepted += 1;
    this.stats.open += 1;
    device.setNoDelay(true);
    relay.setNoDelay(true);
    device.on("data", (chunk: Buffer) => this.forward(pipe, "up", chunk));
    relay.on("data", (chunk: Buffer) => this.forward(pipe, "down", chunk));
    // A half-close travels like data (after what is held); an error ends both sides with a
    // reset; a socket closed once both its directions ended closes the pair.
    device.on("end", () => this.forward(pipe, "up", "end"));
    relay.on("end", () => this.forward(pipe, "down", "end"));
    device.on("error", () => this.destroy(pipe, true));
    device.on("close", (hadError) => this.destroy(pipe, hadError));
    relay.on("error", () => this.relayGone(pipe, true));
    relay.on("close", (hadError) => this.relayGone(pipe, hadError));
    if (this.mode.kind === "blackhole") pipe.poisoned = true;
    this.changed();
  }

  private forward(pipe: Pipe, direction: Direction, chunk: Buffer | "end"): void {
    if (!this.pipes.has(pipe)) return;
    if (direction === "down" && this.cutArmed && chunk !== "end") {
      const { before } = this.cutArmed;
      this.cutArmed = undefined;
      this.stats.dropped.down += chunk.length;
      before();
      this.cut();
      return;
    }
    const last = this.lastWords;
    if (last && direction === "down" && chunk !== "end" && chunk.subarray(chunk.length - last.after.length).equals(last.after)) {
      this.lastWords = undefined;
      this.write(pipe, direction, Buffer.concat([chunk, last.words]));
      this.write(pipe, direction, "end");
      return;
    }
    if (pipe.poisoned || this.mode.kind === "blackhole") {
      // An end on a blackholed path never arrives either.
      pipe.poisoned = true;
      if (chunk !== "end") this.stats.dropped[direction] += chunk.length;
      this.changed();
      return;
    }
    const held = pipe.held[direction];
    const delay = this.mode.kind === "delay" ? this.mode.ms : 0;
    if (delay === 0 && held.length === 0) {
      this.write(pipe, direction, chunk);
      return;
    }
    // In order: never before what is already held in this direction.
    const dueAt = Math.max(performance.now() + delay, held.at(-1)?.dueAt ?? 0);
    held.push({ dueAt, chunk });
    if (pipe.timers[direction] === undefined) this.schedule(pipe, direction);
  }

  private schedule(pipe: Pipe, direction: Direction): void {
    const next = pipe.held[direction][0];
    if (!next) return;
    pipe.timers[direction] = setTimeout(
      () => {
        pipe.timers[direction] = undefined;
        const held = pipe.held[direction];
        const now = performance.now();
        while (held.length > 0 && held[0]!.dueAt <= now + 1) this.write(pipe, direction, held.shift()!.chunk);
        if (this.pipes.has(pipe)) this.schedule(pipe, direction);
      },
      Math.max(0, next.dueAt - performance.now()),
    );
  }

  private write(pipe: Pipe, direction: Direction, chunk: Buffer | "end"): void {
    const target = direction === "up" ? pipe.relay : pipe.device;
    if (target.destroyed) return;
    if (chunk === "end") {
      target.end();
      return;
    }
    target.write(chunk);
    this.stats.forwarded[direction] += chunk.length;
    const armed = direction === "up" ? this.requestArmed : undefined;
    if (armed) {
      this.requestArmed = undefined;
      armed();
    }
    if (direction === "down" && this.replyArmed?.(chunk)) this.replyArmed = undefined;
    this.changed();
  }

  private relayGone(pipe: Pipe, reset: boolean): void {
    if (pipe.poisoned) {
      // The device never hears of it; its socket stays open until it gives up by itself.
      if (!pipe.relay.destroyed) pipe.relay.destroy();
      return;
    }
    this.destroy(pipe, reset);
  }

  private destroy(pipe: Pipe, reset: boolean): void {
    if (!this.pipes.delete(pipe)) return;
    for (const direction of ["up", "down"] as const) {
      clearTimeout(pipe.timers[direction]);
      pipe.held[direction] = [];
    }
    for (const socket of [pipe.device, pipe.relay]) {
      if (socket.destroyed) continue;
      // A reset needs a connected socket; one still connecting is simply destroyed.
      if (reset && !socket.connecting) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.stats.open -= 1;
    this.changed();
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
