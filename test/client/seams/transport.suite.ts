// The transport seam's contract (client/core/transport/transport.ts), clause by clause. Every
// implementation runs it: the relay's WebSocket, the in-memory pair, and the LAN peer link.
import { describe, expect, it } from "vitest";
import type { Connection, Transport } from "../../../client/core/transport/transport.js";
import { Code, SyncError } from "../../../schema/status.js";

export interface TransportFixture {
  /** The device's side. */
  transport: Transport;
  /** The far end of the next connection the device makes. */
  accepted: () => Promise<Connection>;
  /** A transport to a place nobody answers. */
  unreachable: Transport;
  close: () => Promise<void>;
}

/** Far ends handed out in the order the device connected. */
export class Accepted {
  private readonly ready: Connection[] = [];
  private readonly waiting: ((c: Connection) => void)[] = [];

  add(connection: Connection): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter(connection);
    else this.ready.push(connection);
  }

  next(): Promise<Connection> {
    const ready = this.ready.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** Resolves with the next `count` frames a connection receives. */
function frames(connection: Connection, count: number): Promise<Uint8Array[]> {
  const received: Uint8Array[] = [];
  return new Promise((resolve) => {
    connection.onFrame((frame) => {
      received.push(frame);
      if (received.length === count) resolve(received);
    });
  });
}

function closed(connection: Connection): { count: () => number; done: Promise<string> } {
  let count = 0;
  let resolve: (reason: string) => void = () => undefined;
  const done = new Promise<string>((r) => (resolve = r));
  connection.onClose((reason) => {
    count += 1;
    resolve(reason);
  });
  return { count: () => count, done };
}

export function runTransportSuite(name: string, setup: () => Promise<TransportFixture>): void {
  describe(`transport: ${name}`, () => {
    async function withTransport(fn: (f: TransportFixture) => Promise<void>): Promise<void> {
      const fixture = await setup();
      try {
        await fn(fixture);
      } finally {
        await fixture.close();
      }
    }

    it("connect resolves an open connection; frames arrive whole and in order, both ways", () =>
      withTransport(async (f) => {
        const farEnd = f.accepted();
        const device = await f.transport.connect();
        const far = await farEnd;
        const atFar = frames(far, 3);
        for (const n of [1, 2, 3]) device.send(new Uint8Array([n, n, n]));
        expect((await atFar).map((x) => [...x])).toEqual([[1, 1, 1], [2, 2, 2], [3, 3, 3]]);
        const atDevice = frames(device, 2);
        far.send(new Uint8Array([7]));
        far.send(new Uint8Array([8, 9]));
        expect((await atDevice).map((x) => [...x])).toEqual([[7], [8, 9]]);
        device.close();
      }));

    it("frames the far end sends before the device listens are kept for its first listener", () =>
      withTransport(async (f) => {
        const farEnd = f.accepted();
        const device = await f.transport.connect();
        const far = await farEnd;
        far.send(new Uint8Array([4, 2]));
        // The device's frame reaching the far end comes after the far end's frame left it.
        const atFar = frames(far, 1);
        device.send(new Uint8Array([1]));
        await atFar;
        await new Promise<void>((resolve) => setImmediate(resolve));
        expect((await frames(device, 1)).map((x) => [...x])).toEqual([[4, 2]]);
        device.close();
      }));

    it("a frame of a megabyte arrives intact", () =>
      withTransport(async (f) => {
        const farEnd = f.accepted();
        const device = await f.transport.connect();
        const far = await farEnd;
        const big = new Uint8Array(1 << 20).map((_, i) => i % 253);
        const received = frames(far, 1);
        device.send(big);
        expect(Buffer.from((await received)[0]!).equals(Buffer.from(big))).toBe(true);
        device.close();
      }));

    it("connect to a place nobody answers rejects with UNAVAILABLE", () =>
      withTransport(async (f) => {
        const error = await f.unreachable.connect().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(SyncError);
        expect((error as SyncError).code).toBe(Code.UNAVAILABLE);
      }));

    it("close: the device's close listeners run once, the far end hears it once, send is then a no-op", () =>
      withTransport(async (f) => {
        const farEnd = f.accepted();
        const device = await f.transport.connect();
        const far = await farEnd;
        const deviceClosed = closed(device);
        const farClosed = closed(far);
        let framesAfter = 0;
        far.onFrame(() => (framesAfter += 1));
        device.close();
        device.close();
        expect(() => device.send(new Uint8Array([1]))).not.toThrow();
        await farClosed.done;
        await deviceClosed.done;
        expect(deviceClosed.count()).toBe(1);
        expect(farClosed.count()).toBe(1);
        expect(framesAfter).toBe(0);
      }));

    it("the far end going away closes the device's connection once; nothing arrives after", () =>
      withTransport(async (f) => {
        const farEnd = f.accepted();
        const device = await f.transport.connect();
        const far = await farEnd;
        const deviceClosed = closed(device);
        let after = 0;
        far.close();
        await deviceClosed.done;
        device.onFrame(() => (after += 1));
        far.send(new Uint8Array([1]));
        device.send(new Uint8Array([1]));
        expect(deviceClosed.count()).toBe(1);
        expect(after).toBe(0);
      }));
  });
}
