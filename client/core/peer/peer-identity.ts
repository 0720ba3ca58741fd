// A LAN peer's identity key: an Ed25519 key pair the peer keeps in its store. A device learns the
// public half at pairing (sealed under the pairing code, so only the peer that showed the code
// can hand it over), remembers it with the peer (known-peers.ts), and from then on links only to
// a peer that signs the handshake with it. A peer at the same id with another key is refused with
// PeerKeyChanged, never silently paired again: the person forgets the old one first.
// Specification: docs/peer-sync.md
import { ed25519 } from "@noble/curves/ed25519";
import { Code, SyncError } from "../../../schema/status.js";
import { fromBase64Url, toBase64Url, transcript } from "./wire-bytes.js";

/** The public identity key (base64url) of the peer holding this 32-byte seed. */
export function identityKeyOf(seed: Uint8Array): string {
  return toBase64Url(ed25519.getPublicKey(seed));
}

/** The peer's signature over a handshake transcript (the same length-prefixed parts a MAC covers). */
export function signTranscript(seed: Uint8Array, label: string, ...parts: string[]): string {
  return toBase64Url(ed25519.sign(transcript(label, ...parts), seed));
}

/** False for a signature made with another key, over other parts, or not a signature at all. */
export function verifyTranscript(identityKey: string, signature: string, label: string, ...parts: string[]): boolean {
  try {
    return ed25519.verify(fromBase64Url(signature), transcript(label, ...parts), fromBase64Url(identityKey));
  } catch {
    return false;
  }
}

/**
 * A remembered peer answered with another identity key: its store was replaced, or it is not
 * that peer. Nothing is sent to it. The person forgets the peer (IronFlowClient.forgetPeer) before
 * pairing with whatever now answers at that id.
 */
export class PeerKeyChanged extends SyncError {
  readonly kind = "peer_key_changed";
  constructor(
    readonly peerId: string,
    readonly rememberedKey: string,
    readonly presentedKey: string,
  ) {
    super(Code.UNAUTHENTICATED, `peer ${peerId} answered with another identity key than the one paired: forget it before pairing again`);
  }
}
