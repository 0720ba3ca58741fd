// Bytes of the peer handshake: base64url text for JSON messages, and the transcript that MACs and
// signatures cover (each part length-prefixed, so no two lists of parts give the same bytes).
// Shared by the handshake (secure-channel.ts) and the peer's identity key (peer-identity.ts).
const encoder = new TextEncoder();

export function transcript(label: string, ...parts: string[]): Uint8Array {
  const encoded = [label, ...parts].map((part) => encoder.encode(part));
  const out = new Uint8Array(encoded.reduce((n, bytes) => n + 4 + bytes.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const bytes of encoded) {
    view.setUint32(at, bytes.length);
    out.set(bytes, at + 4);
    at += 4 + bytes.length;
  }
  return out;
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
