// The messages tabs of one device store send each other, on one BroadcastChannel per store.
// BroadcastChannel delivers to every other tab of the origin (not the sender), structured-cloned,
// also outside a secure context (unlike Web Locks).
import { Code, SyncError } from "../../core/index.js";
import type { DeviceCall, DeviceSnapshot } from "../device/app-device.js";

export type TabMessage =
  // Liveness and leadership (leadership.ts).
  | { kind: "ping"; from: string }
  | { kind: "pong"; leader: string }
  | { kind: "leading"; leader: string; since: number }
  | { kind: "leaving"; leader: string }
  // The device, served by the leader to the others (leader-hub.ts, follower-device.ts).
  | { kind: "hello"; from: string; active: boolean }
  /** The leader has opened the store and answers now: a hello sent before went unheard. */
  | { kind: "serving"; leader: string }
  | { kind: "snapshot"; leader: string; snapshot: DeviceSnapshot }
  | { kind: "call"; from: string; callId: number; call: DeviceCall }
  | { kind: "reply"; to: string; callId: number; result: { ok: true; value: unknown } | { ok: false; error: WireError } };

type Handler<K extends TabMessage["kind"]> = (message: Extract<TabMessage, { kind: K }>) => void;

export class TabChannel {
  /** This tab, as the others know it. */
  readonly tabId = randomId();
  private readonly channel: BroadcastChannel;
  private readonly handlers = new Map<TabMessage["kind"], Set<(message: TabMessage) => void>>();

  constructor(name: string) {
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event: MessageEvent<TabMessage>) => {
      for (const handler of this.handlers.get(event.data.kind) ?? []) handler(event.data);
    };
  }

  static available(): boolean {
    return typeof BroadcastChannel !== "undefined";
  }

  post(message: TabMessage): void {
    this.channel.postMessage(message);
  }

  on<K extends TabMessage["kind"]>(kind: K, handler: Handler<K>): () => void {
    const set = this.handlers.get(kind) ?? new Set();
    const wrapped = handler as (message: TabMessage) => void;
    set.add(wrapped);
    this.handlers.set(kind, set);
    return () => set.delete(wrapped);
  }

  close(): void {
    this.channel.close();
  }
}

/** An error as it crosses tabs: a SyncError keeps its code, so the other tab words it the same. */
export interface WireError {
  message: string;
  code?: Code;
  detail?: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof SyncError) return { message: err.message, code: err.code, detail: err.detail };
  return { message: err instanceof Error ? err.message : String(err) };
}

export function fromWire(error: WireError): Error {
  return error.code === undefined ? new Error(error.message) : new SyncError(error.code, error.detail ?? error.message);
}

/** getRandomValues, unlike randomUUID, exists on a plain-http LAN address too. */
function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}
