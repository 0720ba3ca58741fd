// A raw WebSocket to the relay for protocol tests: send any bytes, read replies by request id.
import WebSocket from "ws";
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo";
import {
  PROTOCOL_VERSION,
  decodeRelayFrame,
  encodeDeviceFrame,
  type DeviceBodyInit,
  type Decoded,
  type RelayFrame,
} from "../../schema/protocol/frames.js";
import type { EntityDocument, EntityType, Payloads } from "../../schema/entities.js";

type Reply = Decoded<Exclude<RelayFrame["body"], { case: undefined }>>;

export class RawRelaySocket {
  private readonly replies: Reply[] = [];
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;
  private nextId = 1000;

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      this.replies.push(decodeRelayFrame(new Uint8Array(data)));
      this.wake();
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
  }

  static async connect(url: string): Promise<RawRelaySocket> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new RawRelaySocket(socket);
  }

  static async hello(url: string, userId: string, deviceId: string): Promise<RawRelaySocket> {
    const raw = await RawRelaySocket.connect(url);
    const reply = await raw.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, userId, deviceId, deviceName: deviceId } });
    if (reply.body.case !== "welcome") throw new Error(`hello answered with ${reply.body.case}`);
    return raw;
  }

  sendBytes(bytes: Uint8Array): void {
    this.socket.send(bytes, { binary: true });
  }

  async request(body: DeviceBodyInit, requestId = this.nextId++): Promise<Reply> {
    this.sendBytes(encodeDeviceFrame(requestId, body));
    return this.reply(requestId);
  }

  /** Waits for the reply carrying requestId (no timers: the test's timeout bounds it). */
  async reply(requestId: number): Promise<Reply> {
    for (;;) {
      const index = this.replies.findIndex((r) => r.requestId === requestId);
      if (index >= 0) return this.replies.splice(index, 1)[0]!;
      if (this.closed) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) before reply ${requestId}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A valid entity document built the way a device builds one, as Automerge bytes. */
export function entityDoc<T extends EntityType>(type: T, id: string, payload: Payloads[T], deviceId = "raw-device"): A.Doc<EntityDocument<T>> {
  return A.from<EntityDocument<T>>({
    type,
    id,
    createdAt: 1,
    updatedAt: 1,
    deviceId,
    deviceName: deviceId,
    hlc: "",
    deleted: null,
    payload,
  } as EntityDocument<T>);
}

const idsByLabel = new Map<string, string>();

/** A valid entity id (an Automerge document id) standing for a readable label in a test. */
export function idFor(label: string): string {
  let id = idsByLabel.get(label);
  if (!id) idsByLabel.set(label, (id = parseAutomergeUrl(generateAutomergeUrl()).documentId));
  return id;
}
