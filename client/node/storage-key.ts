// A Node device's storage key: 32 random bytes in a file only the device's user can read (0600),
// made on first open. Whoever can read the file can read the device's data; whoever cannot sees
// only ciphertext (client/core/storage/encrypted-storage.ts).
import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { importStorageKey } from "../core/index.js";

export async function storageKeyFromFile(path: string): Promise<CryptoKey> {
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
    // A key file others could read is made private again, not trusted as it is.
    await chmod(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    raw = randomBytes(32);
    // "wx": two processes opening one new device never write two different keys.
    await writeFile(path, raw, { mode: 0o600, flag: "wx" }).catch(async (writeErr: unknown) => {
      if ((writeErr as NodeJS.ErrnoException).code !== "EEXIST") throw writeErr;
      raw = await readFile(path);
    });
  }
  return importStorageKey(raw);
}
