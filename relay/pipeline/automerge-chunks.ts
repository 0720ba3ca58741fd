// Reads the framing of pushed Automerge bytes before Automerge sees them. `A.loadIncremental`
// is lenient by design (it skips what it cannot parse, for partial network reads): random bytes,
// a corrupted chunk or trailing garbage "load" as no change at all. The relay wants the
// opposite: every byte pushed is a whole, intact chunk, or the item is refused.
//
// Chunk layout (Automerge binary format): magic 85 6f 4a 83, a 4-byte checksum (the first bytes
// of the SHA-256 of everything after it), a type byte, the contents' length as unsigned LEB128,
// the contents. A change's hash is that whole SHA-256.
// Specification: docs/relay.md
import { createHash } from "node:crypto";
import { inflateRawSync } from "node:zlib";

const MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const;
const HEADER_BEFORE_TYPE = 8;

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
    const length = readUleb(bytes, at + HEADER_BEFORE_TYPE + 1);
    if (length === undefined) return { ok: false, message: `${where} has a malformed length` };
    const end = length.next + length.value;
    if (end > bytes.length) return { ok: false, message: `${where} claims ${length.value} bytes, ${bytes.length - length.next} remain` };
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

/** Unsigned LEB128 of at most 53 bits at `at`. */
function readUleb(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 8; i++) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return Number.isSafeInteger(value) ? { value, next: i + 1 } : undefined;
    scale *= 128;
  }
  return undefined;
}

/**
 * Bytes `chunks` decode to, if at most `budget`; undefined past it. A document chunk (A.save)
 * deflates its columns: a 30 KB push can hold a 30-million-character string, which Automerge would
 * inflate and materialise (gigabytes of WebAssembly memory that never shrinks) before any check.
 * Each deflated column is inflated here with its output capped by what is left of the budget, so
 * the check costs at most `budget` bytes of JS memory, freed at once. A change chunk is not
 * deflated: its own length counts.
 */
export function decodedBytesWithin(chunks: Chunk[], budget: number): number | undefined {
  let total = 0;
  for (const chunk of chunks) {
    const size = chunk.type === ChunkType.DOCUMENT ? documentColumnsBytes(chunk.bytes, budget - total) : chunk.bytes.length;
    if (size === undefined) return undefined;
    total += size;
    if (total > budget) return undefined;
  }
  return total;
}

const DEFLATE_BIT = 0x08;

/** Inflated size of a document chunk's columns, undefined past `budget` or when its header does not parse. */
function documentColumnsBytes(bytes: Uint8Array, budget: number): number | undefined {
  const length = readUleb(bytes, HEADER_BEFORE_TYPE + 1);
  if (length === undefined) return undefined;
  let at = length.next;
  const uleb = (): number | undefined => {
    const r = readUleb(bytes, at);
    if (r) at = r.next;
    return r?.value;
  };
  const actors = uleb();
  if (actors === undefined) return undefined;
  for (let i = 0; i < actors; i++) {
    const n = uleb();
    if (n === undefined) return undefined;
    at += n;
  }
  const heads = uleb();
  if (heads === undefined) return undefined;
  at += heads * 32;
  const columns: { spec: number; length: number }[] = [];
  for (let group = 0; group < 2; group++) {
    const count = uleb();
    if (count === undefined) return undefined;
    for (let i = 0; i < count; i++) {
      const spec = uleb();
      const columnLength = uleb();
      if (spec === undefined || columnLength === undefined) return undefined;
      columns.push({ spec, length: columnLength });
    }
  }
  let total = 0;
  for (const column of columns) {
    const data = bytes.subarray(at, at + column.length);
    if (data.length !== column.length) return undefined;
    at += column.length;
    if ((column.spec & DEFLATE_BIT) === 0) {
      total += column.length;
    } else {
      try {
        total += inflateRawSync(data, { maxOutputLength: Math.max(1, budget - total) }).length;
      } catch {
        // Past the cap (ERR_BUFFER_TOO_LARGE) or not deflate data: either way not a document to load.
        return undefined;
      }
    }
    if (total > budget) return undefined;
  }
  return total;
}
