// The device storage's AES-256-GCM (client/core/storage/encrypted-storage.ts) through Node's own
// crypto, synchronously: WebCrypto in Node answers each call from its thread pool, which cost
// ~0.3 ms per value on this machine against ~0.04 ms here, and a device seals several values per
// change and opens every record at start. Same algorithm, key, IV, additional data and tag as
// WebCrypto's, so each opens what the other sealed.
import { createCipheriv, createDecipheriv, KeyObject } from "node:crypto";
import type { StorageCipher } from "../core/storage/encrypted-storage.js";

const TAG_BYTES = 16;

export function nodeStorageCipher(key: CryptoKey): StorageCipher {
  // The key stays a non-extractable CryptoKey to everyone else; Node hands its own code the
  // KeyObject under it without exporting the bytes.
  const secret = KeyObject.from(key);
  if (secret.type !== "secret" || secret.symmetricKeySize !== 32) throw new Error("the storage key is not an AES-256 key");
  return {
    seal(iv, additionalData, plain) {
      const cipher = createCipheriv("aes-256-gcm", secret, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData);
      const head = cipher.update(plain);
      const tail = cipher.final();
      const tag = cipher.getAuthTag();
      const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
      out.set(head, 0);
      out.set(tail, head.length);
      out.set(tag, head.length + tail.length);
      return out;
    },
    open(iv, additionalData, sealed) {
      if (sealed.length < TAG_BYTES) throw new Error("shorter than its tag");
      const decipher = createDecipheriv("aes-256-gcm", secret, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      const head = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
      // final() throws when the tag does not authenticate: nothing read is returned.
      const tail = decipher.final();
      const out = new Uint8Array(head.length + tail.length);
      out.set(head, 0);
      out.set(tail, head.length);
      return out;
    },
  };
}
