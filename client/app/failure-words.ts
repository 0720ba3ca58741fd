// Failures in the words a person reads: a save that did not happen, and why the sync server
// refused a change.
import { Code, SchemaTooNew, SyncError } from "../core/index.js";

/** "Not saved: …" for a save that failed. The core words a full disk itself ("Not saved: this device is out of space"). */
export function notSaved(err: unknown, verb = "Not saved"): string {
  const text = err instanceof SyncError ? err.detail : err instanceof Error ? err.message : String(err);
  if (text.startsWith("Not saved")) return verb === "Not saved" ? text : text.replace(/^Not saved/, verb);
  if (err instanceof SyncError && err.code === Code.RESOURCE_EXHAUSTED) return `${verb}: this device is out of space`;
  return `${verb}: ${text}`;
}

/** Why the relay refused an item (queue item lastError; codes by name, schema/status.ts). */
export function refusalInWords(error: { code: string; message: string }): string {
  // The queue keeps the SyncError's message, which starts with the code's name: the words say it.
  const message = error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
  switch (error.code) {
    case "INVALID_ARGUMENT":
      return `The sync server can't accept this version: ${message}.`;
    case "PERMISSION_DENIED":
      return `This account may not change it: ${message}.`;
    case "FAILED_PRECONDITION":
      // Schema versions (schema/document-version.ts): a relay older than this app cannot read
      // what it wrote; a newer app on another device changed it in a way this one cannot read.
      if (message.includes("newer than this relay")) return "The sync server is older than this app and can't read this version yet; it stays on this device until the server is updated.";
      if (message.includes("newer version of the app")) return "A newer version of IronFlow changed this on another device: update the app to sync it. Your change is kept on this device.";
      return `The sync server is behind this device (it may have lost data): ${message}.`;
    case "UNAVAILABLE":
      return "The sync server could not be reached.";
    default:
      return `${error.code}: ${message}`;
  }
}

/** Why something could not be opened: a newer app's document says to update, in words. */
export function notOpened(err: unknown, what: string): string {
  if (err instanceof SchemaTooNew) return `This ${what} was saved by a newer version of IronFlow: update the app to open it. It is kept as it is on this device.`;
  return `Could not open this ${what}: ${err instanceof Error ? err.message : String(err)}`;
}
