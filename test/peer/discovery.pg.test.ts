// The LAN peer is found by DNS-SD over mDNS on loopback, by its id, and the address found is one
// a device pairs through.
import { afterEach, describe, expect, it } from "vitest";
import { pairWithPeer } from "../../client/core/index.js";
import { findPeer } from "../../client/node/discover-peers.js";
import { announcePeer } from "../../peer/announce.js";
import { Code } from "../../schema/status.js";
import { Cleanups } from "../faults/fixtures.js";
import { peerTransport, startTestPeer } from "./fixtures.js";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

// multicast-dns on loopback: listen on every address, send from loopback (STACK-NOTES).
const LOOPBACK = { interface: "127.0.0.1", bind: "0.0.0.0" };

describe("finding a LAN peer", () => {
  it("a peer announced by mDNS is found by its id on loopback, at an address a device pairs through", async () => {
    const { peer, close } = await startTestPeer("user-mdns");
    cleanups.add(close);
    const found = findPeer(peer.peerId, LOOPBACK);
    const announcement = announcePeer(peer, "Home server", LOOPBACK);
    cleanups.add(() => announcement.stop());
    const seen = await found;
    expect(seen).toMatchObject({ peerId: peer.peerId, port: peer.port, url: `ws://127.0.0.1:${peer.port}/peer` });
    expect(seen.name).toContain("Home server");
    // A device that means another peer (its invite names another id) pairs with nothing here.
    const code = peer.newPairingCode();
    await expect(pairWithPeer(peerTransport(seen.url), { code, deviceId: "laptop", deviceName: "laptop", peerId: "00ff00ff" })).rejects.toMatchObject({ code: Code.UNAUTHENTICATED });
    const credentials = await pairWithPeer(peerTransport(seen.url), { code, deviceId: "laptop", deviceName: "laptop", peerId: seen.peerId });
    expect(credentials.peerId).toBe(peer.peerId);
  });
});
