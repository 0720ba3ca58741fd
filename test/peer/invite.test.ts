// A pairing invite (the text behind the peer's QR code) reads back as written; anything else
// is not taken for one.
import { describe, expect, it } from "vitest";
import QRCode from "qrcode";
import { readPeerInvite, writePeerInvite } from "../../client/core/index.js";

describe("pairing invites", () => {
  it("an invite reads back as written, and fits a QR code", () => {
    const invite = { url: "ws://192.168.1.20:8787/peer", peerId: "0a1b2c3d4e5f60718293a4b5", code: "ABCDE-FGHJK" };
    const text = writePeerInvite(invite);
    expect(readPeerInvite(text)).toEqual(invite);
    expect(readPeerInvite(` ${text}\n`)).toEqual(invite);
    const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
    expect(qr.modules.size).toBeLessThanOrEqual(57); // version 10 at most: a phone camera reads it at arm's length
  });

  it("text that is not an invite, or one with a bad address or id, is refused", () => {
    for (const text of [
      "https://example.com",
      "ironflow-peer://pair?url=http%3A%2F%2Fevil&id=00ff&code=X",
      "ironflow-peer://pair?url=ws%3A%2F%2Fh%3A1%2Fpeer&id=not-hex&code=X",
      "ironflow-peer://pair?url=ws%3A%2F%2Fh%3A1%2Fpeer&id=00ff",
    ]) {
      expect(readPeerInvite(text)).toBeUndefined();
    }
  });
});
