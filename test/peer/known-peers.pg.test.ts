// A device remembers the LAN peers it paired with (identity key, name, last address) in its own
// storage: the next session links without a code, also at a new address; a peer answering at a
// remembered id with another identity key is refused with PeerKeyChanged, when linking and when
// pairing again, until the person forgets it.
import { afterEach, describe, expect, it } from "vitest";
import { Code, PeerKeyChanged, writePeerInvite, type IronFlowClient, type PeerLink } from "../../client/core/index.js";
import type { LanPeer } from "../../peer/peer-server.js";
import { Cleanups, openTestDevice } from "../faults/fixtures.js";
import { TcpProxy } from "../faults/tcp-proxy.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { tempDir, waitFor, workout } from "../support/devices.js";
import { startTestPeer } from "./fixtures.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function relayUrl(): Promise<string> {
  const db = await freshPgStore();
  cleanups.add(db.close);
  const relay = await startTestRelay({ store: db.store });
  cleanups.add(() => relay.close().catch(() => undefined));
  return relay.syncUrl;
}

function inviteOf(peer: LanPeer, url = peer.syncUrl): string {
  return writePeerInvite({ url, peerId: peer.peerId, code: peer.newPairingCode() });
}

/** Resolves once the link has run through without an error. */
async function linkedCleanly(client: IronFlowClient, link: PeerLink): Promise<void> {
  await waitFor(client, () => link.status.lastSyncAt !== null && link.status.lastError === undefined);
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error("expected a refusal"),
    (err: unknown) => err,
  );
}

describe("known LAN peers", () => {
  it("a paired peer is remembered in the device's storage: the next session links with no code, and at a new address", async () => {
    const relay = await relayUrl();
    const dir = tempDir("phone");
    cleanups.add(() => dir.remove());
    const phone = await openTestDevice(cleanups, "phone", relay, { dataDir: dir.path });
    const { peer, close } = await startTestPeer(phone.account().userId, { name: "Kitchen laptop" });
    cleanups.add(close);

    const first = await phone.pairPeer(inviteOf(peer));
    await linkedCleanly(phone, first);
    const [known] = phone.knownPeers();
    expect(phone.knownPeers()).toHaveLength(1);
    expect(known).toMatchObject({ peerId: peer.peerId, name: "Kitchen laptop", identityKey: peer.identityKey, lastAddress: peer.syncUrl });
    expect(known?.lastLinkedAt).toBeGreaterThanOrEqual(known?.pairedAt ?? Infinity);
    await phone.close();

    // The next session: the same storage, no pairing code open on the peer (the one shown is spent).
    const again = await openTestDevice(cleanups, "phone", relay, { dataDir: dir.path });
    expect(again.knownPeers().map((p) => [p.peerId, p.identityKey, p.lastAddress])).toEqual([[peer.peerId, peer.identityKey, peer.syncUrl]]);
    const [link] = await again.linkKnownPeers();
    await linkedCleanly(again, link!);
    await again.create("workout", workout("After a restart", [{ name: "Row", sets: [[10, 40]] }]));
    expect((await link!.syncNow()).pushed).toBe(1);

    // The peer found at another address (mDNS after DHCP moved it; here a proxy in front of it).
    const proxy = await TcpProxy.open({ port: peer.port });
    cleanups.add(() => proxy.close());
    const moved = `ws://127.0.0.1:${proxy.port}/peer`;
    const relinked = await again.linkKnownPeer(peer.peerId, moved);
    await relinked.syncNow();
    expect(again.knownPeers()[0]?.lastAddress).toBe(moved);
    expect(again.peerLinkTo(peer.peerId)).toBe(relinked);

    // Text that is not an invite, and a peer this device never paired with, are typed refusals.
    expect(await failure(again.pairPeer("http://192.168.1.20:8787/peer"))).toMatchObject({ code: Code.INVALID_ARGUMENT });
    expect(await failure(again.linkKnownPeer("0123456789abcdef01234567"))).toMatchObject({ code: Code.NOT_FOUND });
  });

  it("a peer whose identity key changed is refused with PeerKeyChanged, not paired again, until it is forgotten", async () => {
    const relay = await relayUrl();
    const phone = await openTestDevice(cleanups, "phone", relay);
    const userId = phone.account().userId;
    const original = await startTestPeer(userId);
    const link = await phone.pairPeer(inviteOf(original.peer));
    await linkedCleanly(phone, link);
    const { peerId, identityKey } = original.peer;
    await original.close();

    // Another store now answers at the same peer id (the peer was reinstalled, or is not that peer).
    const { peer: other, close } = await startTestPeer(userId, { idSecret: original.idSecret });
    cleanups.add(close);
    expect(other.peerId).toBe(peerId);
    expect(other.identityKey).not.toBe(identityKey);

    const refusedLink = await phone.linkKnownPeer(peerId, other.syncUrl);
    const linkError = await failure(refusedLink.syncNow());
    expect(linkError).toBeInstanceOf(PeerKeyChanged);
    expect(linkError).toMatchObject({ code: Code.UNAUTHENTICATED, peerId, rememberedKey: identityKey, presentedKey: other.identityKey });
    expect(refusedLink.status.lastError).toBeInstanceOf(PeerKeyChanged);

    // Pairing again with the new peer's code is refused the same way, before the code is sent:
    // the code stays open on that peer.
    const invite = inviteOf(other);
    expect(await failure(phone.pairPeer(invite))).toBeInstanceOf(PeerKeyChanged);
    expect(phone.knownPeers().map((p) => p.identityKey)).toEqual([identityKey]);

    // The person forgets the old peer; then the same code pairs with the new one.
    await phone.forgetPeer(peerId);
    expect(phone.knownPeers()).toEqual([]);
    expect(phone.peerLinkTo(peerId)).toBeUndefined();
    const paired = await phone.pairPeer(invite);
    await linkedCleanly(phone, paired);
    expect(phone.knownPeers().map((p) => [p.peerId, p.identityKey])).toEqual([[peerId, other.identityKey]]);
  });
});
