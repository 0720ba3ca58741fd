// The LAN peer link's security: pairing with a one-time code, then every connection mutually
// authenticated and encrypted with the link key pairing set up, on plain ws:// too (a browser on
// a plain-http LAN address has no WebCrypto, so this is @noble: HKDF, HMAC-SHA256,
// ChaCha20-Poly1305). Both ends use this file: the device (pairWithPeer, secureTransport) and the
// peer (peer/peer-gate.ts).
//
// Pairing: the peer sends a fresh challenge; the device answers with its id and a MAC over both
// nonces under a key derived from the code (so a pairing message replayed on another connection
// meets another challenge and fails); the peer counts a wrong MAC against the code, which is
// burned after a few; on success the code is spent and the peer returns the link key and its
// access token sealed under a key derived from the code and both nonces.
// Link: the same challenge-response under the link key, answered by the peer's own MAC (each side
// proves it holds the key); then each direction has its own key (HKDF over both nonces) and every
// frame is sealed with a counter nonce, so a replayed, dropped or reordered frame fails to open
// and closes the connection.
// Specification: docs/peer-sync.md
import { chacha20poly1305 } from "@noble/ciphers/chacha";
import { hkdf } from "@noble/hashes/hkdf";
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";
import { Code, SyncError } from "../../../schema/status.js";
import type { Connection, Transport } from "../transport/transport.js";
import { PeerKeyChanged, verifyTranscript } from "./peer-identity.js";
import { fromBase64Url, toBase64Url, transcript } from "./wire-bytes.js";

export { fromBase64Url, toBase64Url } from "./wire-bytes.js";

/** What pairing gives a device: everything it needs to link to that peer again. */
export interface PeerCredentials {
  peerId: string;
  /** The peer's public identity key (peer-identity.ts): a later link checks the peer signs with it. */
  peerKey: string;
  /** What the peer calls itself, for the person. */
  peerName: string;
  userId: string;
  deviceId: string;
  /** The link key, base64url. */
  linkKey: string;
  /** What the device's Hello to the peer carries. */
  accessToken: string;
}

export type Handshake =
  | { t: "challenge"; peerId: string; nonce: string; key: string }
  | { t: "pair"; deviceId: string; deviceName: string; nonce: string; mac: string }
  | { t: "link"; deviceId: string; nonce: string; mac: string }
  | { t: "paired"; box: string }
  | { t: "linked"; mac: string; sig: string }
  | { t: "refused"; code: number; message: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeHandshake(message: Handshake): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** The message, or undefined for anything that is not one (the connection is then refused). */
export function decodeHandshake(frame: Uint8Array): Handshake | undefined {
  try {
    const value = JSON.parse(decoder.decode(frame)) as unknown;
    if (typeof value !== "object" || value === null || typeof (value as { t?: unknown }).t !== "string") return undefined;
    const strings = (...keys: string[]) => keys.every((k) => typeof (value as Record<string, unknown>)[k] === "string");
    const m = value as Handshake;
    switch (m.t) {
      case "challenge":
        return strings("peerId", "nonce", "key") ? m : undefined;
      case "pair":
        return strings("deviceId", "deviceName", "nonce", "mac") ? m : undefined;
      case "link":
        return strings("deviceId", "nonce", "mac") ? m : undefined;
      case "paired":
        return strings("box") ? m : undefined;
      case "linked":
        return strings("mac", "sig") ? m : undefined;
      case "refused":
        return typeof m.code === "number" && strings("message") ? m : undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/** A pairing code as people type it: upper case, no spaces or dashes, 0/1 read as O/I. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "").replace(/0/g, "O").replace(/1/g, "I");
}

/** The key a pairing code stands for. */
export function codeKey(code: string): Uint8Array {
  return hkdf(sha256, encoder.encode(normalizeCode(code)), encoder.encode("ironflow-peer-pairing"), "code", 32);
}

/** A MAC over a label and parts, each length-prefixed so no two lists give the same bytes. */
export function mac(key: Uint8Array, label: string, ...parts: string[]): string {
  return toBase64Url(hmac(sha256, key, transcript(label, ...parts)));
}

/** Constant-time comparison of two MACs. */
export function sameMac(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function randomToken(bytes = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The key sealing the pairing reply: the code's, bound to this exchange's nonces. */
export function pairingBoxKey(code: string, peerNonce: string, deviceNonce: string): Uint8Array {
  return hkdf(sha256, codeKey(code), encoder.encode(`${peerNonce}.${deviceNonce}`), "pairing-reply", 32);
}

export function seal(key: Uint8Array, plain: Uint8Array): Uint8Array {
  return chacha20poly1305(key, new Uint8Array(12)).encrypt(plain);
}

/** Undefined when the box was not sealed with this key (or was changed). */
export function open(key: Uint8Array, box: Uint8Array): Uint8Array | undefined {
  try {
    return chacha20poly1305(key, new Uint8Array(12)).decrypt(box);
  } catch {
    return undefined;
  }
}

/** Each direction's key for one connection. */
export function directionKeys(linkKey: Uint8Array, peerNonce: string, deviceNonce: string): { toPeer: Uint8Array; toDevice: Uint8Array } {
  const salt = encoder.encode(`${peerNonce}.${deviceNonce}`);
  return { toPeer: hkdf(sha256, linkKey, salt, "device-to-peer", 32), toDevice: hkdf(sha256, linkKey, salt, "peer-to-device", 32) };
}

/**
 * A raw connection during its handshake: frames wait in order until asked for; once the
 * handshake is done, `seal` turns it into an encrypted Connection.
 */
export class HandshakeChannel {
  private readonly queued: Uint8Array[] = [];
  private waiter: { resolve(frame: Uint8Array): void; reject(err: SyncError): void } | undefined;
  private sealed: SealedConnection | undefined;
  private closedReason: string | undefined;

  constructor(readonly raw: Connection) {
    raw.onFrame((frame) => {
      if (this.sealed) {
        this.sealed.receive(frame);
        return;
      }
      const waiter = this.waiter;
      this.waiter = undefined;
      if (waiter) waiter.resolve(frame);
      else this.queued.push(frame);
    });
    raw.onClose((reason) => {
      this.closedReason = reason;
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter?.reject(new SyncError(Code.UNAVAILABLE, `connection closed during the handshake: ${reason}`));
    });
  }

  send(message: Handshake): void {
    this.raw.send(encodeHandshake(message));
  }

  /** The next handshake message; a frame that is not one rejects (INVALID_ARGUMENT). */
  async next(): Promise<Handshake> {
    const frame = await this.nextFrame();
    const message = decodeHandshake(frame);
    if (!message) throw new SyncError(Code.INVALID_ARGUMENT, "not a peer handshake message");
    return message;
  }

  /** Refuses the other side with a reason, and closes. */
  refuse(code: Code, message: string): void {
    this.send({ t: "refused", code, message });
    this.raw.close();
  }

  seal(sendKey: Uint8Array, receiveKey: Uint8Array): Connection {
    const sealed = new SealedConnection(this.raw, sendKey, receiveKey);
    this.sealed = sealed;
    for (const frame of this.queued.splice(0)) sealed.receive(frame);
    return sealed;
  }

  private nextFrame(): Promise<Uint8Array> {
    const frame = this.queued.shift();
    if (frame) return Promise.resolve(frame);
    if (this.closedReason !== undefined) return Promise.reject(new SyncError(Code.UNAVAILABLE, `connection closed during the handshake: ${this.closedReason}`));
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }
}

/** Frames sealed with ChaCha20-Poly1305, a counter nonce per direction. */
class SealedConnection implements Connection {
  private sent = 0n;
  private received = 0n;
  private readonly frameListeners: ((frame: Uint8Array) => void)[] = [];
  private readonly early: Uint8Array[] = [];
  private closed = false;

  constructor(
    private readonly raw: Connection,
    private readonly sendKey: Uint8Array,
    private readonly receiveKey: Uint8Array,
  ) {
    raw.onClose(() => (this.closed = true));
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.raw.send(chacha20poly1305(this.sendKey, counterNonce(this.sent++)).encrypt(frame));
  }

  onFrame(listener: (frame: Uint8Array) => void): void {
    this.frameListeners.push(listener);
    // Frames opened before anyone listened go to the first listener (the transport contract).
    if (this.frameListeners.length === 1) for (const frame of this.early.splice(0)) if (!this.closed) listener(frame);
  }

  onClose(listener: (reason: string) => void): void {
    this.raw.onClose(listener);
  }

  close(): void {
    this.closed = true;
    this.raw.close();
  }

  receive(box: Uint8Array): void {
    if (this.closed) return;
    let frame: Uint8Array;
    try {
      frame = chacha20poly1305(this.receiveKey, counterNonce(this.received++)).decrypt(box);
    } catch {
      // Forged, replayed, reordered or sealed with another key: the link is not trusted any more.
      this.close();
      return;
    }
    if (this.frameListeners.length === 0) this.early.push(frame);
    else for (const listener of this.frameListeners) listener(frame);
  }
}

/** A status code the peer sent; one this device does not know counts as UNAUTHENTICATED. */
function asCode(code: number): Code {
  const known = Object.values(Code).find((c): c is Code => typeof c === "number" && c.valueOf() === code);
  return known ?? Code.UNAUTHENTICATED;
}

function counterNonce(counter: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, counter);
  return nonce;
}

/** What the device's pairing answer says, and what it expects of the peer. */
export interface PairingRequest {
  code: string;
  deviceId: string;
  deviceName: string;
  /** From an invite: the peer meant. */
  peerId?: string;
  /** The identity key this device remembers for that peer, if it knows it already. */
  peerKey?: string;
}

/**
 * Pairs this device with a peer by the code the peer shows (and, from an invite, its id).
 * Rejects with UNAUTHENTICATED (a wrong code, another peer), PeerKeyChanged (a remembered peer
 * with another identity key: nothing is sent), RESOURCE_EXHAUSTED (the code was tried too often),
 * or UNAVAILABLE.
 */
export async function pairWithPeer(transport: Transport, pairing: PairingRequest): Promise<PeerCredentials> {
  const channel = new HandshakeChannel(await transport.connect());
  try {
    const challenge = await channel.next();
    if (challenge.t !== "challenge") throw new SyncError(Code.INVALID_ARGUMENT, `the peer began with ${challenge.t}`);
    // From an invite the device knows which peer it means: another one at that address gets nothing.
    if (pairing.peerId !== undefined && challenge.peerId !== pairing.peerId) throw new SyncError(Code.UNAUTHENTICATED, "another peer answers at this address");
    if (pairing.peerKey !== undefined && challenge.key !== pairing.peerKey) throw new PeerKeyChanged(challenge.peerId, pairing.peerKey, challenge.key);
    const nonce = randomToken();
    channel.send({ t: "pair", deviceId: pairing.deviceId, deviceName: pairing.deviceName, nonce, mac: mac(codeKey(pairing.code), "pair", challenge.peerId, challenge.nonce, nonce, pairing.deviceId) });
    const reply = await channel.next();
    if (reply.t === "refused") throw new SyncError(asCode(reply.code), reply.message);
    if (reply.t !== "paired") throw new SyncError(Code.INVALID_ARGUMENT, `the peer answered pairing with ${reply.t}`);
    const plain = open(pairingBoxKey(pairing.code, challenge.nonce, nonce), fromBase64Url(reply.box));
    if (!plain) throw new SyncError(Code.UNAUTHENTICATED, "the peer's reply was not sealed with this code");
    const body = JSON.parse(decoder.decode(plain)) as Omit<PeerCredentials, "deviceId" | "peerId">;
    // The key in the sealed reply is the one only the code's holder could send: the challenge's must match it.
    if (body.peerKey !== challenge.key) throw new SyncError(Code.UNAUTHENTICATED, "the peer's identity key does not match its sealed reply");
    return { ...body, peerId: challenge.peerId, deviceId: pairing.deviceId };
  } finally {
    channel.raw.close();
  }
}

/**
 * The transport to a paired peer: each connection is authenticated both ways with the link key
 * (and the peer by its identity key) and encrypted. A peer that does not know this device refuses
 * it (UNAUTHENTICATED); a peer at the remembered id with another identity key is refused before
 * anything is sent (PeerKeyChanged).
 */
export function secureTransport(inner: Transport, credentials: PeerCredentials): Transport {
  const linkKey = fromBase64Url(credentials.linkKey);
  return {
    async connect() {
      const channel = new HandshakeChannel(await inner.connect());
      try {
        const challenge = await channel.next();
        if (challenge.t !== "challenge") throw new SyncError(Code.INVALID_ARGUMENT, `the peer began with ${challenge.t}`);
        if (challenge.peerId !== credentials.peerId) throw new SyncError(Code.UNAUTHENTICATED, "another peer answers at this address: pair with it");
        if (challenge.key !== credentials.peerKey) throw new PeerKeyChanged(credentials.peerId, credentials.peerKey, challenge.key);
        const nonce = randomToken();
        channel.send({ t: "link", deviceId: credentials.deviceId, nonce, mac: mac(linkKey, "link", challenge.peerId, challenge.nonce, nonce, credentials.deviceId) });
        const reply = await channel.next();
        if (reply.t === "refused") throw new SyncError(asCode(reply.code), reply.message);
        if (reply.t !== "linked" || !sameMac(reply.mac, mac(linkKey, "linked", challenge.peerId, challenge.nonce, nonce, credentials.deviceId))) {
          throw new SyncError(Code.UNAUTHENTICATED, "the peer could not prove it holds this link's key");
        }
        if (!verifyTranscript(credentials.peerKey, reply.sig, "linked", challenge.peerId, challenge.nonce, nonce, credentials.deviceId)) {
          throw new SyncError(Code.UNAUTHENTICATED, "the peer could not prove it holds its identity key");
        }
        const keys = directionKeys(linkKey, challenge.nonce, nonce);
        return channel.seal(keys.toPeer, keys.toDevice);
      } catch (err) {
        channel.raw.close();
        throw err;
      }
    },
  };
}
