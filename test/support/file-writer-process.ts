// Saves big values back to back through FileStorage, for the test that kills it mid-write: the
// value is all 1s, then all 2s, and so on (two buffers made once, so nearly all the time is spent
// saving); prints "saved <n>" after save n. Args: directory, value size in bytes.
import { FileStorage } from "../../client/node/file-storage.js";

const [directory, size] = process.argv.slice(2);
const storage = new FileStorage(directory!);
const values = [new Uint8Array(Number(size)).fill(1), new Uint8Array(Number(size)).fill(2)];
for (let round = 1; ; round++) {
  await storage.save(["doc-killed", "snapshot", "s"], values[round % 2]!);
  process.stdout.write(`saved ${round}\n`);
}
