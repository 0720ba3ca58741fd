// The relay's cursor over Automerge's encodings never reads past its buffer: a skip or a byte
// string that runs past the end answers false and leaves the cursor where it was.
import { describe, expect, it } from "vitest";
import { LebReader } from "../../relay/pipeline/leb-reader.js";

describe("LebReader", () => {
  it("skips byte strings within the buffer, and refuses one that runs past its end", () => {
    // "ab", then a string that claims 5 bytes with 2 left.
    const r = new LebReader(new Uint8Array([2, 0x61, 0x62, 5, 0x63, 0x64]), 0);
    expect(r.skipByteString()).toBe(true);
    expect(r.position).toBe(3);
    expect(r.skipByteString()).toBe(false);
    expect(r.skip(3)).toBe(false);
    expect(r.position).toBe(4);
    expect(r.skip(2)).toBe(true);
    expect(r.done).toBe(true);
  });

  it("refuses fixed-size items whose count runs past the end", () => {
    const r = new LebReader(new Uint8Array([3, ...new Uint8Array(64)]), 0);
    // Three 32-byte items claimed, two present.
    expect(r.skipFixedItems(32)).toBe(false);
    expect(new LebReader(new Uint8Array([2, ...new Uint8Array(64)]), 0).skipFixedItems(32)).toBe(true);
  });
});
