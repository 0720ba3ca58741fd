// Bytes as base64 text, for records kept as JSON (a queue item's unsynced changes, an export
// file's histories). atob/btoa work in browsers and Node alike.
import { Code, SyncError } from "../../../schema/status.js";

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** INVALID_ARGUMENT with `what` when `text` is not base64. */
export function fromBase64(text: string, what = "the value is not base64"): Uint8Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new SyncError(Code.INVALID_ARGUMENT, what);
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
