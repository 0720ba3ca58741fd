// A cursor over Automerge's binary encodings (LEB128 numbers, length-prefixed byte strings) that
// never reads past its buffer: every read answers undefined or false at the end instead.
// Specification: docs/relay.md
export class LebReader {
  constructor(
    private readonly bytes: Uint8Array,
    private at: number,
  ) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  get position(): number {
    return this.at;
  }

  /** Unsigned LEB128 of at most 10 bytes (64 bits); past 2^53 the value is approximate, never small. */
  uleb(): number | undefined {
    let value = 0;
    let scale = 1;
    for (let i = this.at; i < this.bytes.length && i < this.at + 10; i++) {
      const byte = this.bytes[i] as number;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        this.at = i + 1;
        return value;
      }
      scale *= 128;
    }
    return undefined;
  }

  /** Signed LEB128 of at most 10 bytes. */
  sleb(): number | undefined {
    let value = 0;
    let scale = 1;
    for (let i = this.at; i < this.bytes.length && i < this.at + 10; i++) {
      const byte = this.bytes[i] as number;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) {
        this.at = i + 1;
        return byte & 0x40 ? value - scale : value;
      }
    }
    return undefined;
  }

  skipLeb(): boolean {
    return this.uleb() !== undefined;
  }

  /** `length` bytes, or undefined when fewer remain. */
  take(length: number): Uint8Array | undefined {
    if (length > this.bytes.length - this.at) return undefined;
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }

  /**
   * Moves past `length` bytes; false when fewer remain. No view of them is made: a document's
   * string column skips one per operation, and those views were a twentieth of what the relay
   * allocated loading a catch-up's workouts (bench/README.md, allocation).
   */
  skip(length: number): boolean {
    if (length > this.bytes.length - this.at) return false;
    this.at += length;
    return true;
  }

  /** A ULEB count, then that many items of `size` bytes each. */
  skipFixedItems(size: number): boolean {
    const count = this.uleb();
    return count !== undefined && this.skip(count * size);
  }

  /** A ULEB length and that many bytes. */
  skipByteString(): boolean {
    const length = this.uleb();
    return length !== undefined && this.skip(length);
  }

  /** A ULEB count of byte strings, then each. */
  skipByteStrings(): boolean {
    const count = this.uleb();
    if (count === undefined) return false;
    for (let i = 0; i < count; i++) if (!this.skipByteString()) return false;
    return true;
  }
}
