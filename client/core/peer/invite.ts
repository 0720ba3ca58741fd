// A pairing invite: what a peer shows as text and as a QR code so a device needs nothing typed
// by hand but, at most, the code: the peer's address, its id (the device checks the peer it
// reaches is that one) and the one-time code.
//   ironflow-peer://pair?url=ws%3A%2F%2F192.168.1.20%3A8787%2Fpeer&id=<peer id>&code=ABCDE-FGHJK
// Specification: docs/peer-sync.md
export interface PeerInvite {
  /** The peer's WebSocket address (ws:// or wss://). */
  url: string;
  peerId: string;
  code: string;
}

const SCHEME = "ironflow-peer://pair";

export function writePeerInvite(invite: PeerInvite): string {
  const query = new URLSearchParams({ url: invite.url, id: invite.peerId, code: invite.code });
  return `${SCHEME}?${query.toString()}`;
}

/** The invite, or undefined for text that is not one (a scanned QR code of something else). */
export function readPeerInvite(text: string): PeerInvite | undefined {
  const trimmed = text.trim();
  if (!trimmed.startsWith(`${SCHEME}?`)) return undefined;
  const query = new URLSearchParams(trimmed.slice(SCHEME.length + 1));
  const url = query.get("url");
  const peerId = query.get("id");
  const code = query.get("code");
  if (!url || !peerId || !code || !/^wss?:\/\//.test(url) || !/^[0-9a-f]+$/.test(peerId)) return undefined;
  return { url, peerId, code };
}
