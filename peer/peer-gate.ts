// The LAN peer's door: every connection from the network goes through it before a single sync
// frame is read. It pairs a device that shows the current one-time code, or links a paired
// device (both sides prove they hold the link key, then every frame is encrypted); anything else
// is refused and closed. The handshake is client/core/peer/secure-channel.ts.
//
// A pairing code is good for one pairing, for `codeTtlMs`, and for `maxAttempts` wrong tries in
// all (after which it is burned and the peer must show a new one): a code of 10 characters from
// a 32-letter alphabet (50 bits) cannot be guessed online in a few tries. Link keys are kept in
// the peer's store, one per device.
// Specification: docs/peer-sync.md
import { randomInt } from "node:crypto";
import {
  HandshakeChannel,
  codeKey,
  directionKeys,
  fromBase64Url,
  mac,
  pairingBoxKey,
  randomToken,
  sameMac,
  seal,
  toBase64Url,
  type Handshake,
} from "../client/core/peer/secure-channel.js";
import { signTranscript } from "../client/core/peer/peer-identity.js";
import type { Connection } from "../client/core/transport/transport.js";
import type { Clock } from "../relay/clock.js";
import type { Logger } from "../relay/logger.js";
import type { AccountStore } from "../relay/store/account-store.js";
import { Code, SyncError } from "../schema/status.js";

/** Letters people do not confuse (no 0/O, 1/I/L): normalizeCode maps 0 and 1 back to O and I. */
const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CODE_LENGTH = 10;

export interface GateOptions {
  peerId: string;
  /** What the peer calls itself, sent to a device at pairing. */
  peerName: string;
  /** The identity key's seed (signs each link) and its public half (sent with each challenge). */
  identity: { seed: Uint8Array; publicKey: string };
  accounts: AccountStore;
  clock: Clock;
  log: Logger;
  /** Registers the paired device and returns its access token. */
  admit(device: { deviceId: string; deviceName: string }): Promise<string>;
  /** A linked, encrypted connection: serve it. */
  linked(connection: Connection, deviceId: string): void;
  userId: string;
  maxAttempts?: number;
  codeTtlMs?: number;
}

interface PairingCode {
  code: string;
  expiresAt: number;
  wrongTries: number;
}

export class PeerGate {
  private current: PairingCode | undefined;

  constructor(private readonly o: GateOptions) {}

  /** A new one-time code to show on the peer (the previous one stops working). */
  newPairingCode(): string {
    let code = "";
    for (let i = 0; i < CODE_LENGTH; i++) code += ALPHABET.charAt(randomInt(ALPHABET.length));
    this.current = { code, expiresAt: this.o.clock.now() + (this.o.codeTtlMs ?? 10 * 60_000), wrongTries: 0 };
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  }

  /** Runs the handshake on a new connection; refuses and closes on any failure. */
  handle(raw: Connection): void {
    const channel = new HandshakeChannel(raw);
    void this.handshake(channel).catch((err: unknown) => {
      const error = err instanceof SyncError ? err : new SyncError(Code.INTERNAL, "handshake failed");
      this.o.log.info("peer_refused", { code: error.code, reason: error.message });
      channel.refuse(error.code, error.message);
    });
  }

  private async handshake(channel: HandshakeChannel): Promise<void> {
    const nonce = randomToken();
    channel.send({ t: "challenge", peerId: this.o.peerId, nonce, key: this.o.identity.publicKey });
    const message = await channel.next();
    switch (message.t) {
      case "pair":
        await this.pair(channel, nonce, message);
        return;
      case "link":
        await this.link(channel, nonce, message);
        return;
      default:
        throw new SyncError(Code.UNAUTHENTICATED, "pair with this peer first");
    }
  }

  private async pair(channel: HandshakeChannel, peerNonce: string, m: Extract<Handshake, { t: "pair" }>): Promise<void> {
    const pairing = this.current;
    if (!pairing || pairing.expiresAt <= this.o.clock.now()) throw new SyncError(Code.UNAUTHENTICATED, "no pairing code is open on the peer: show a new one");
    if (pairing.wrongTries >= (this.o.maxAttempts ?? 5)) throw new SyncError(Code.RESOURCE_EXHAUSTED, "this pairing code was tried too often: show a new one");
    if (!sameMac(m.mac, mac(codeKey(pairing.code), "pair", this.o.peerId, peerNonce, m.nonce, m.deviceId))) {
      pairing.wrongTries += 1;
      throw new SyncError(Code.UNAUTHENTICATED, "wrong pairing code");
    }
    this.current = undefined; // spent: one pairing per code
    const accessToken = await this.o.admit({ deviceId: m.deviceId, deviceName: m.deviceName });
    const linkKey = await this.o.accounts.secret(linkKeyName(m.deviceId), () => randomToken());
    const body = new TextEncoder().encode(JSON.stringify({ userId: this.o.userId, linkKey, accessToken, peerKey: this.o.identity.publicKey, peerName: this.o.peerName }));
    channel.send({ t: "paired", box: toBase64Url(seal(pairingBoxKey(pairing.code, peerNonce, m.nonce), body)) });
    this.o.log.info("peer_paired", { device_id: m.deviceId });
    channel.raw.close();
  }

  private async link(channel: HandshakeChannel, peerNonce: string, m: Extract<Handshake, { t: "link" }>): Promise<void> {
    const device = await this.o.accounts.device(this.o.userId, m.deviceId);
    if (!device || device.revokedAt !== null) throw new SyncError(Code.UNAUTHENTICATED, "this device is not paired with this peer");
    // secret() would make a key for an unknown name: a device that is registered always has one.
    const linkKey = fromBase64Url(await this.o.accounts.secret(linkKeyName(m.deviceId), () => randomToken()));
    if (!sameMac(m.mac, mac(linkKey, "link", this.o.peerId, peerNonce, m.nonce, m.deviceId))) {
      throw new SyncError(Code.UNAUTHENTICATED, "this device's link key is not the one paired");
    }
    channel.send({
      t: "linked",
      mac: mac(linkKey, "linked", this.o.peerId, peerNonce, m.nonce, m.deviceId),
      sig: signTranscript(this.o.identity.seed, "linked", this.o.peerId, peerNonce, m.nonce, m.deviceId),
    });
    const keys = directionKeys(linkKey, peerNonce, m.nonce);
    this.o.linked(channel.seal(keys.toDevice, keys.toPeer), m.deviceId);
  }
}

function linkKeyName(deviceId: string): string {
  return `peer-link-key:${deviceId}`;
}
