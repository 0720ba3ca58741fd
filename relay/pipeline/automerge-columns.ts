// What a pushed Automerge chunk costs to load, read from its column layout before Automerge sees
// it: the bytes its columns decode to and the rows (operations, or changes) they hold. Both can
// be far beyond the push's size: a document chunk deflates its columns (a 30 KB push held a
// 30-million-character string), and every column is run-length encoded, so millions of identical
// operations (a text of one repeated character, a list of nulls) take a few bytes per column:
// 3 KB loaded as 3 million operations, +390 MB of WebAssembly memory that never shrinks.
//
// Layouts (Automerge binary format), after the chunk header automerge-chunks.ts checks:
//   document: actors, heads, change column metadata, op column metadata, change column data,
//             op column data (heads' indexes may follow);
//   change:   dependencies, actor, seq, start op, time, message, other actors, op column
//             metadata, op column data (extra bytes may follow).
// Column metadata is a count, then (spec, length) pairs; spec = id << 4 | deflate bit 8 | type.
// Specification: docs/relay.md
import { inflateRawSync } from "node:zlib";
import { ChunkType, HEADER_BEFORE_TYPE, type Chunk } from "./automerge-chunks.js";
import { LebReader } from "./leb-reader.js";

export interface ChunkCost {
  /** Bytes the columns decode to (deflated columns inflated). */
  decodedBytes: number;
  /** The longest column's rows: the chunk's operations (or changes, for a document's change columns). */
  rows: number;
}

export interface CostBudget {
  decodedBytes: number;
  rows: number;
}

export type CostResult = { ok: true; cost: ChunkCost } | { ok: false; message: string };

/**
 * What `chunks` cost together, or why they are refused: past a budget, or columns that do not
 * parse. Checking costs at most `budget.decodedBytes` of JS memory (inflating is capped by what is
 * left of it), freed at once, and one pass over each column.
 */
export function chunksCost(chunks: readonly Chunk[], budget: CostBudget): CostResult {
  const total: ChunkCost = { decodedBytes: 0, rows: 0 };
  for (const [index, chunk] of chunks.entries()) {
    const where = `chunk ${index + 1}`;
    const columns = chunkColumns(chunk);
    if (!columns) return { ok: false, message: `${where}'s columns do not parse` };
    for (const column of columns) {
      const data = decodedColumn(column, budget.decodedBytes - total.decodedBytes);
      if (!data) return { ok: false, message: `changes decode to more than ${budget.decodedBytes} bytes` };
      total.decodedBytes += data.length;
      const rows = columnRows(column.spec, data, budget.rows - total.rows);
      if (rows === undefined) return { ok: false, message: `${where}'s column ${column.spec} does not parse` };
      if (rows > budget.rows - total.rows) return { ok: false, message: `changes hold more than ${budget.rows} operations` };
      column.rows = rows;
    }
    total.rows += Math.max(0, ...columns.map((c) => c.rows));
    if (total.rows > budget.rows) return { ok: false, message: `changes hold more than ${budget.rows} operations` };
  }
  return { ok: true, cost: total };
}

interface Column {
  spec: number;
  data: Uint8Array;
  rows: number;
}

const DEFLATE_BIT = 0x08;

/** The chunk's columns, undefined when its layout does not parse. */
function chunkColumns(chunk: Chunk): Column[] | undefined {
  const r = new LebReader(chunk.bytes, HEADER_BEFORE_TYPE + 1);
  const contentLength = r.uleb();
  if (contentLength === undefined) return undefined;
  const metadata: { spec: number; length: number }[] = [];
  const readMetadata = (): boolean => {
    const count = r.uleb();
    if (count === undefined) return false;
    for (let i = 0; i < count; i++) {
      const spec = r.uleb();
      const length = r.uleb();
      if (spec === undefined || length === undefined) return false;
      metadata.push({ spec, length });
    }
    return true;
  };
  if (chunk.type === ChunkType.DOCUMENT) {
    if (!r.skipByteStrings() || !r.skipFixedItems(32) || !readMetadata() || !readMetadata()) return undefined;
  } else {
    const ok = r.skipFixedItems(32) && r.skipByteString() && r.skipLeb() && r.skipLeb() && r.skipLeb() && r.skipByteString() && r.skipByteStrings() && readMetadata();
    if (!ok) return undefined;
  }
  const columns: Column[] = [];
  for (const { spec, length } of metadata) {
    const data = r.take(length);
    if (!data) return undefined;
    columns.push({ spec, data, rows: 0 });
  }
  return columns;
}

/** The column's bytes, inflated when deflated, capped at `budget`; undefined past it. */
function decodedColumn(column: Column, budget: number): Uint8Array | undefined {
  if ((column.spec & DEFLATE_BIT) === 0) return column.data.length <= budget ? column.data : undefined;
  try {
    return inflateRawSync(column.data, { maxOutputLength: Math.max(1, budget) });
  } catch {
    // Past the cap (ERR_BUFFER_TOO_LARGE) or not deflate data: either way not a chunk to load.
    return undefined;
  }
}

/** A column's type: the spec's low three bits. */
const ColumnType = { Group: 0, Actor: 1, Uleb: 2, Delta: 3, Boolean: 4, String: 5, ValueMetadata: 6, Value: 7 } as const;

/**
 * Rows a column's data encodes, read without expanding a run; stops once past `limit`.
 * Undefined when the data does not parse.
 */
function columnRows(spec: number, data: Uint8Array, limit: number): number | undefined {
  switch (spec & 0x07) {
    case ColumnType.Value:
      return 0; // raw bytes, indexed by the value metadata column
    case ColumnType.Boolean:
      return booleanRows(data, limit);
    case ColumnType.String:
      return runLengthRows(data, limit, (r) => r.skipByteString());
    default:
      // Group, Actor, Uleb, Delta, ValueMetadata: run-length encoded LEB128 numbers.
      return runLengthRows(data, limit, (r) => r.skipLeb());
  }
}

/** Booleans: run lengths (ULEB) alternating false and true. */
function booleanRows(data: Uint8Array, limit: number): number | undefined {
  const r = new LebReader(data, 0);
  let rows = 0;
  while (!r.done && rows <= limit) {
    const run = r.uleb();
    if (run === undefined) return undefined;
    rows += run;
  }
  return rows;
}

/**
 * Automerge's run-length encoding: a signed count n; n > 0: one value repeated n times; n < 0:
 * -n literal values; 0: a run of nulls whose length (ULEB) follows.
 */
function runLengthRows(data: Uint8Array, limit: number, skipValue: (r: LebReader) => boolean): number | undefined {
  const r = new LebReader(data, 0);
  let rows = 0;
  while (!r.done && rows <= limit) {
    const count = r.sleb();
    if (count === undefined) return undefined;
    if (count > 0) {
      if (!skipValue(r)) return undefined;
      rows += count;
    } else if (count < 0) {
      for (let i = 0; i < -count && rows <= limit; i++, rows++) if (!skipValue(r)) return undefined;
    } else {
      const nulls = r.uleb();
      if (nulls === undefined) return undefined;
      rows += nulls;
    }
  }
  return rows;
}
