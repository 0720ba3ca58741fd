// Peers prove they belong to the same person before any data moves: an unpaired device, a wrong
// pairing code and a replayed pairing message are each refused, and the connection carries
// nothing but the peer's challenge and its refusal, though the peer holds the person's workouts.
import { afterEach, describe, expect, it } from "vitest";
import { pairWithPeer, secureTransport, type Connection, type PeerCredentials, type Transport } from "../../client/core/index.js";
import { decodeHandshake, type Handshake } from "../../client/core/peer/secure-channel.js";
import { Code } from "../../schema/status.js";
import { Cleanups, logWorkouts, openTestDevice } from "../faults/fixtures.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { waitFor } from "../support/devices.js";
import { peerTransport, startTestPeer } from "./fixtures.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** Every frame each connection made through it received, and every frame it sent. */
function recording(inner: Transport): { transport: Transport; received: Uint8Array[][]; sent: Uint8Array[][] } {
  const received: Uint8Array[][] = [];
  const sent: Uint8Array[][] = [];
  return {
    received,
    sent,
    transport: {
      async connect() {
        const connection = await inner.connect();
        const inbox: Uint8Array[] = [];
        const outbox: Uint8Array[] = [];
        received.push(inbox);
        sent.push(outbox);
        let listeners = 0;
        const recorded: Connection = {
          send: (frame) => {
            outbox.push(frame);
            connection.send(frame);
          },
          // The first listener records too (it alone gets frames that came before it listened).
          onFrame: (listener) =>
            connection.onFrame(
              listeners++ === 0
                ? (frame) => {
                    inbox.push(frame);
                    listener(frame);
                  }
                : listener,
            ),
          onClose: (listener) => connection.onClose(listener),
          close: () => connection.close(),
        };
        return recorded;
      },
    },
  };
}

/** Each frame as a handshake message (undefined for anything else: a sealed or sync frame). */
function messages(frames: Uint8Array[]): (Handshake["t"] | undefined)[] {
  return frames.map((f) => decodeHandshake(f)?.t);
}

function closed(connection: Connection): Promise<string> {
  return new Promise((resolve) => connection.onClose(resolve));
}

async function failure(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  return promise.then(
    () => ({ code: -1, message: "it succeeded" }),
    (err: unknown) => err as { code: number; message: string },
  );
}

describe("pairing with a LAN peer", () => {
  it("an unpaired device, a wrong code and a replayed pairing message are refused before any document is sent; the right code pairs once", async () => {
    // The relay is only where the person's device signs up; the peer holds their workouts.
    const db = await freshPgStore();
    cleanups.add(db.close);
    const relay = await startTestRelay({ store: db.store });
    cleanups.add(() => relay.close().catch(() => undefined));
    const phone = await openTestDevice(cleanups, "phone", relay.syncUrl);
    const tablet = await openTestDevice(cleanups, "tablet", relay.syncUrl);
    const { userId, deviceId } = phone.account();
    const { peer, close } = await startTestPeer(userId, { maxPairingAttempts: 3 });
    cleanups.add(close);
    const url = peer.syncUrl;

    // The phone pairs with the code the peer shows, and its workouts reach the peer.
    const phoneCredentials = await pairWithPeer(peerTransport(url), { code: peer.newPairingCode(), deviceId, deviceName: "phone" });
    const link = await phone.linkPeer({ peerId: peer.peerId, transport: secureTransport(peerTransport(url), phoneCredentials), accessToken: phoneCredentials.accessToken });
    await logWorkouts(phone, "Held by the peer", 2);
    await waitFor(phone, () => link.status.lastSyncAt !== null && link.status.lastError === undefined && phone.list("workout").length === 2);
    await link.syncNow();

    // 1. A device that never paired: it makes up credentials, or speaks the sync protocol directly.
    const stranger = recording(peerTransport(url));
    const madeUp: PeerCredentials = { peerId: peer.peerId, peerKey: peer.identityKey, peerName: peer.name, userId, deviceId: "stranger", linkKey: "A".repeat(43), accessToken: phoneCredentials.accessToken };
    expect(await failure(secureTransport(stranger.transport, madeUp).connect())).toMatchObject({ code: Code.UNAUTHENTICATED });
    // Someone holding the phone's id but not its link key fares no better.
    const impostor: PeerCredentials = { ...phoneCredentials, linkKey: "B".repeat(43) };
    expect(await failure(secureTransport(stranger.transport, impostor).connect())).toMatchObject({ code: Code.UNAUTHENTICATED });
    const raw = await stranger.transport.connect();
    raw.onFrame(() => undefined); // recorded
    const rawClosed = closed(raw);
    raw.send(new Uint8Array([0, 0, 0, 1, 10, 0])); // a sync frame, not a handshake
    await rawClosed;

    // 2. Wrong codes: refused, and after three the code is burned, even for the right one.
    const code = peer.newPairingCode();
    const guesser = recording(peerTransport(url));
    for (let i = 0; i < 3; i++) {
      expect(await failure(pairWithPeer(guesser.transport, { code: `WRONG-${i}AAAA`, deviceId: "tablet", deviceName: "tablet" }))).toMatchObject({ code: Code.UNAUTHENTICATED });
    }
    expect(await failure(pairWithPeer(guesser.transport, { code, deviceId: "tablet", deviceName: "tablet" }))).toMatchObject({ code: Code.RESOURCE_EXHAUSTED });

    // 3. A pairing that worked, recorded on the Wi-Fi and replayed: the code is spent, and the
    //    peer's challenge is new, so the recorded answer proves nothing.
    const watched = recording(peerTransport(url));
    const fresh = peer.newPairingCode();
    const tabletCredentials = await pairWithPeer(watched.transport, { code: fresh, deviceId: tablet.account().deviceId, deviceName: "tablet" });
    expect(tabletCredentials.peerId).toBe(peer.peerId);
    const replayer = recording(peerTransport(url));
    const replay = await replayer.transport.connect();
    replay.onFrame(() => undefined); // recorded
    const replayClosed = closed(replay);
    for (const frame of watched.sent[0]!) replay.send(frame);
    await replayClosed;
    // Replayed onto a new code's exchange, too.
    peer.newPairingCode();
    const replay2 = await replayer.transport.connect();
    replay2.onFrame(() => undefined); // recorded
    const replay2Closed = closed(replay2);
    for (const frame of watched.sent[0]!) replay2.send(frame);
    await replay2Closed;

    // Nothing but a challenge and a refusal ever reached those connections: no document.
    for (const inbox of [...stranger.received, ...guesser.received, ...replayer.received]) {
      expect(messages(inbox)).toEqual(["challenge", "refused"]);
    }
    // While the paired tablet links, and gets the phone's two workouts over the sealed link.
    const tabletLink = recording(peerTransport(url));
    await tablet.linkPeer({ peerId: peer.peerId, transport: secureTransport(tabletLink.transport, tabletCredentials), accessToken: tabletCredentials.accessToken });
    await waitFor(tablet, () => tablet.list("workout").length === 2);
    expect(messages(tabletLink.received[0]!).slice(0, 2)).toEqual(["challenge", "linked"]);
    // After the handshake nothing travels in the clear.
    expect(messages(tabletLink.received[0]!.slice(2)).every((t) => t === undefined)).toBe(true);
    expect(tabletLink.received[0]!.slice(2).some((f) => new TextDecoder().decode(f).includes("Held by the peer"))).toBe(false);
  });
});
