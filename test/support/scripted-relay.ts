// A relay played by a test, for unit tests of the device: it records every frame the device sends
// over the in-memory transport and answers, holds or refuses each one as the test says.
import type { Connection } from "../../client/core/transport/transport.js";
import {
  Code,
  SyncStatus,
  decodeDeviceFrame,
  encodeRelayFrame,
  type RelayBodyInit,
  type SyncItem,
} from "../../schema/protocol/frames.js";

type Frame = ReturnType<typeof decodeDeviceFrame>;

/** A relay played by the test: it records every frame and answers with `answer` (undefined = never). */
export class ScriptedRelay {
  readonly frames: Frame["body"][] = [];
  maxBatchItems = 100;
  /** The protocol version its Welcome names. */
  protocolVersion = 2;
  private version = 0;
  private held: (() => void)[] = [];
  holding = false;
  answer: (frame: Frame, reply: (body: RelayBodyInit) => void) => void = (frame, reply) => reply(this.ok(frame));

  private readonly watchers: (() => void)[] = [];

  /** Resolves once `count` frames of `kind` have arrived. */
  received(kind: Frame["body"]["case"], count = 1): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.count(kind) < count) return false;
        resolve();
        return true;
      };
      if (!check()) this.watchers.push(() => void check());
    });
  }

  accept(connection: Connection): void {
    connection.onFrame((bytes) => {
      const frame = decodeDeviceFrame(bytes);
      this.frames.push(frame.body);
      for (const watcher of this.watchers) watcher();
      const reply = (body: RelayBodyInit) => connection.send(encodeRelayFrame(frame.requestId, body));
      const respond = () => this.answer(frame, reply);
      if (this.holding) this.held.push(respond);
      else respond();
    });
  }

  /** The usual answer: welcome, every item stored, an empty pull page. */
  ok(frame: Frame): RelayBodyInit {
    switch (frame.body.case) {
      case "hello":
        return { case: "welcome", value: { protocolVersion: this.protocolVersion, serverTime: BigInt(Date.UTC(2026, 10, 25, 12)), maxFrameBytes: 1 << 20, maxBatchItems: this.maxBatchItems } };
      case "sync":
        return {
          case: "sync",
          value: { results: frame.body.value.items.map((item: SyncItem) => ({ entityId: item.entityId, status: SyncStatus.SUCCESS, code: Code.OK, serverVersion: item.version + 1, cursor: BigInt(++this.version) })) },
        };
      case "pull":
        return { case: "pull", value: { cursor: BigInt(this.version), catalogCursor: 0n, hasMore: false, entities: [] } };
      case "ping":
        return { case: "pong", value: { serverTime: BigInt(Date.UTC(2026, 10, 25, 12)) } };
    }
  }

  release(): void {
    this.holding = false;
    for (const respond of this.held.splice(0)) respond();
  }

  count(kind: Frame["body"]["case"]): number {
    return this.frames.filter((f) => f.case === kind).length;
  }

  syncBatches(): string[][] {
    return this.frames.flatMap((f) => (f.case === "sync" ? [f.value.items.map((i: SyncItem) => i.entityType)] : []));
  }
}

