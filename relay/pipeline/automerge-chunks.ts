// Reads the framing of pushed Automerge bytes before Automerge sees them. `A.loadIncremental`
// is lenient by design (it skips what it cannot parse, for partial network reads): random bytes,
// a corrupted chunk or trailing garbage "load" as no change at all. The relay wants the
// opposite: every byte pushed is a whole, intact chunk, or the item is refused.
//
// Chunk layout (Automerge binary format): magic 85 6f 4a 83, a 4-byte checksum (the first bytes
// of the SHA-256 of everything after it), a type byte, the contents' length as unsigned LEB128,
// the contents. A change's hash is that whole SHA-256. What the contents cost to load:
// automerge-columns.ts.
// Specification: docs/relay.md
import { createHash } from "node:crypto";
import { LebReader } from "./leb-reader.js";

const MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const;
/** Magic and checksum: the type byte follows. */
export const HEADER_BEFORE_TYPE = 8;

export const ChunkType = { DOCUMENT: 0, CHANGE: 1, COMPRESSED_CHANGE: 2 } as const;

export interface Chunk {
  type: number;
  /** The chunk's whole bytes, header included. */
  bytes: Uint8Array;
  /** The change hash (hex) for a change chunk; undefined for a document chunk. */
  hash: string | undefined;
}

export type ChunksResult = { ok: true; chunks: Chunk[] } | { ok: false; message: string };

/** Splits `bytes` into intact chunks, or says what is wrong with the first bad one. */
export function readChunks(bytes: Uint8Array): ChunksResult {
  const chunks: Chunk[] = [];
  let at = 0;
  while (at < bytes.length) {
    const where = `chunk ${chunks.length + 1} (byte ${at})`;
    if (bytes.length - at < HEADER_BEFORE_TYPE + 2) return { ok: false, message: `${where} is cut short` };
    for (let i = 0; i < MAGIC.length; i++) {
      if (bytes[at + i] !== MAGIC[i]) return { ok: false, message: `${where} does not start with Automerge's magic bytes` };
    }
    const type = bytes[at + HEADER_BEFORE_TYPE] as number;
    if (type === ChunkType.COMPRESSED_CHANGE) {
      // Devices push A.save / A.saveSince output, which holds none: refusing them spares the
      // relay an inflate of unknown size.
      return { ok: false, message: `${where} is a compressed change; push uncompressed changes` };
    }
    if (type !== ChunkType.DOCUMENT && type !== ChunkType.CHANGE) return { ok: false, message: `${where} has unknown type ${type}` };
    const reader = new LebReader(bytes, at + HEADER_BEFORE_TYPE + 1);
    const length = reader.uleb();
    if (length === undefined || !Number.isSafeInteger(length)) return { ok: false, message: `${where} has a malformed length` };
    const end = reader.position + length;
    if (end > bytes.length) return { ok: false, message: `${where} claims ${length} bytes, ${bytes.length - reader.position} remain` };
    const digest = createHash("sha256").update(bytes.subarray(at + HEADER_BEFORE_TYPE, end)).digest();
    for (let i = 0; i < 4; i++) {
      if (digest[i] !== bytes[at + 4 + i]) return { ok: false, message: `${where} fails its checksum` };
    }
    chunks.push({ type, bytes: bytes.subarray(at, end), hash: type === ChunkType.CHANGE ? digest.toString("hex") : undefined });
    at = end;
  }
  if (chunks.length === 0) return { ok: false, message: "no Automerge chunk" };
  return { ok: true, chunks };
}

/**
 * How many chunks bytes the relay stored hold: the headers are walked, nothing is hashed (what
 * the relay stores was read by readChunks or written by A.save). Undefined when the framing is
 * not whole chunks, which the caller treats as "compact it".
 */
export function countChunks(bytes: Uint8Array): number | undefined {
  let count = 0;
  let at = 0;
  while (at < bytes.length) {
    if (bytes.length - at < HEADER_BEFORE_TYPE + 2) return undefined;
    const length = new LebReader(bytes, at + HEADER_BEFORE_TYPE + 1);
    const contents = length.uleb();
    if (contents === undefined || !Number.isSafeInteger(contents)) return undefined;
    at = length.position + contents;
    count++;
  }
  return at === bytes.length ? count : undefined;
}

/**
 * Change hashes that together cover the history `chunks` hold: each change chunk's hash and each
 * document chunk's heads (read from its header: actors, then the heads). Some may be ancestors of
 * others, which changes nothing where they are used as "since" heads (A.getChangesMetaSince).
 * Undefined when a document chunk's header does not parse.
 */
export function historyHeads(chunks: readonly Chunk[]): string[] | undefined {
  const heads: string[] = [];
  for (const chunk of chunks) {
    if (chunk.hash !== undefined) {
      heads.push(chunk.hash);
      continue;
    }
    const r = new LebReader(chunk.bytes, HEADER_BEFORE_TYPE + 1);
    if (r.uleb() === undefined || !r.skipByteStrings()) return undefined;
    const count = r.uleb();
    if (count === undefined) return undefined;
    for (let i = 0; i < count; i++) {
      const hash = r.take(32);
      if (!hash) return undefined;
      heads.push(Buffer.from(hash).toString("hex"));
    }
  }
  return heads;
}
