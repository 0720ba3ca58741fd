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
import { AuthApi, Code, SyncError, type AuthSession } from "../../client/core/index.js";
import { httpOrigin } from "../../client/node/open-node-client.js";
import { testAccount } from "./accounts.js";

type Reply = Decoded<Exclude<RelayFrame["body"], { case: undefined }>>;

export class RawRelaySocket {
  private readonly replies: Reply[] = [];
  private waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | undefined;
  /** Resolves once the relay (or the test) closed the socket. */
  readonly closedPromise: Promise<void>;
  private markClosed: () => void = () => undefined;
  private nextId = 1000;

  private constructor(private readonly socket: WebSocket) {
    this.closedPromise = new Promise((resolve) => (this.markClosed = resolve));
    socket.on("message", (data: Buffer) => {
      this.replies.push(decodeRelayFrame(new Uint8Array(data)));
      this.wake();
    });
    socket.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.markClosed();
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

  /** Signs the person a test calls `user` in as `deviceId` (signing them up first if new), then says hello. */
  static async hello(url: string, user: string, deviceId: string): Promise<RawRelaySocket> {
    const session = await signIn(url, user, deviceId);
    const raw = await RawRelaySocket.connect(url);
    const reply = await raw.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken: session.accessToken } });
    if (reply.body.case !== "welcome") throw new Error(`hello answered with ${reply.body.case}`);
    raw.userId = session.userId;
    raw.accessToken = session.accessToken;
    return raw;
  }

  /** The relay's id of the signed-in person, and the token this socket said hello with. */
  userId = "";
  accessToken = "";

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

  /** Replies carrying requestId that arrived and were not taken by `reply`. */
  untaken(requestId: number): number {
    return this.replies.filter((r) => r.requestId === requestId).length;
  }

  close(): void {
    this.socket.close();
  }

  /** Stops reading what the relay sends (a slow or stuck device); `resumeReading` reads again. */
  stopReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** The frames the relay sent unasked (request id 0: fan-out, a revocation notice), taken out. */
  unasked(): Reply[] {
    const taken = this.replies.filter((r) => r.requestId === 0);
    for (const reply of taken) this.replies.splice(this.replies.indexOf(reply), 1);
    return taken;
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

/** A session for the test person `user` on `deviceId`: signs them up the first time. */
export async function signIn(syncUrl: string, user: string, deviceId: string): Promise<AuthSession> {
  const api = new AuthApi(httpOrigin(syncUrl));
  const request = { ...testAccount(user), deviceName: deviceId, deviceId };
  try {
    return await api.signUp(request);
  } catch (err) {
    if (err instanceof SyncError && err.code === Code.ALREADY_EXISTS) return api.signIn(request);
    throw err;
  }
}
