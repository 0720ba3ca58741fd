// Every Fanout runs the contract. The in-process fan-out serves one relay process, so both of
// the suite's relays are the same object. The second run puts two relays on a loopback bus
// that delivers on a later turn, as a LISTEN/NOTIFY or NATS backbone would: it shows the suite
// holds for asynchronous delivery and for subscribers on another relay.
import type { EntitySnapshot } from "../../schema/protocol/frames.js";
import { InProcessFanout, type Fanout, type Subscriber } from "../../relay/fanout.js";
import { runFanoutSuite } from "./fanout-suite.js";

runFanoutSuite("InProcessFanout", () => {
  const fanout = new InProcessFanout();
  return Promise.resolve({ relays: [fanout, fanout] as const });
});

/** One relay on the loopback bus: its own connections in an InProcessFanout, every publish sent to every relay. */
class LoopbackRelayFanout implements Fanout {
  readonly local = new InProcessFanout();

  constructor(private readonly bus: Set<LoopbackRelayFanout>) {
    bus.add(this);
  }

  subscribe(userId: string, subscriber: Subscriber): () => void {
    return this.local.subscribe(userId, subscriber);
  }

  publish(userId: string, fromDeviceId: string, snapshots: EntitySnapshot[]): void {
    this.send((relay) => relay.local.publish(userId, fromDeviceId, snapshots));
  }

  publishToAll(snapshots: EntitySnapshot[]): void {
    this.send((relay) => relay.local.publishToAll(snapshots));
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  sent(): Promise<void> {
    return Promise.resolve();
  }

  /** setImmediate keeps the order of sends, as one connection to a broker does. */
  private send(deliver: (relay: LoopbackRelayFanout) => void): void {
    for (const relay of this.bus) setImmediate(() => deliver(relay));
  }
}

runFanoutSuite("two relays on an asynchronous loopback bus", () => {
  const bus = new Set<LoopbackRelayFanout>();
  return Promise.resolve({ relays: [new LoopbackRelayFanout(bus), new LoopbackRelayFanout(bus)] as const });
});
