// A tripwire on the wire contract: schema/protocol/sync.proto cannot change without a new
// PROTOCOL_VERSION (schema/protocol/frames.ts) and a new line in the proto's history comment.
// The relay refuses a Hello of another version, so a silent change would leave old devices
// sending frames the relay misreads instead of being told to update.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../schema/protocol/frames.js";

/**
 * The hash of sync.proto's definitions (comments and layout left out) for each protocol
 * version.
 *
 * If the first test fails, you changed the protocol's messages. Then:
 *   1. bump PROTOCOL_VERSION in schema/protocol/frames.ts,
 *   2. add a line for the new version under "History of PROTOCOL_VERSION" in sync.proto, saying
 *      what changed, and update the version in its first line,
 *   3. regenerate the TypeScript (`npm run proto`),
 *   4. add the new version with the hash the failure printed to this table.
 * Never edit a recorded hash: a recorded version is what devices in the field speak.
 */
const RECORDED_SCHEMA_HASHES: Readonly<Record<number, string>> = {
  1: "cfcc5a813d996ae84ba72b570efc9d80aed15840e0a12e918882e924ab7a8f9e",
  2: "913e3944baebeed510ec94a9df081ba26ce5d59b52698d26000cdeeb9da90b37",
  3: "c4fe337dd22e92153e842d7ef7f7c0a606650f256984ccfa230ea61be7f08a83",
  4: "a3b78e0ae2c9b629914becea5652eb84e177d6746bfa69ff79e814d8fc22848f",
  5: "50a29b23b3b90580decec311568cb57ceee1eba15b55f3d107d0937ff7aa46c2",
};

const proto = readFileSync(new URL("../../schema/protocol/sync.proto", import.meta.url), "utf8");

/** The proto's definitions: comments dropped and whitespace collapsed, so only a real change counts. */
function schemaHash(source: string): string {
  const definitions = source
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/\/\/[^\n]*/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return createHash("sha256").update(definitions).digest("hex");
}

/** The version numbers of the history comment's entries, in order. */
function historyVersions(source: string): number[] {
  const lines = source.split("\n");
  const start = lines.findIndex((line) => /^\/\/\s*History of PROTOCOL_VERSION:/.test(line));
  if (start < 0) return [];
  const versions: number[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith("//")) break;
    const entry = /^\/\/\s+(\d+)\s+-\s+\S/.exec(line);
    if (entry?.[1] !== undefined) versions.push(Number(entry[1]));
  }
  return versions;
}

describe("protocol version", () => {
  it("sync.proto's definitions are the ones recorded for PROTOCOL_VERSION", () => {
    const hash = schemaHash(proto);
    const recorded = RECORDED_SCHEMA_HASHES[PROTOCOL_VERSION];
    const advice =
      recorded === undefined
        ? `PROTOCOL_VERSION ${PROTOCOL_VERSION} is new: record ${PROTOCOL_VERSION}: "${hash}"`
        : `schema/protocol/sync.proto changed without a new protocol version: bump PROTOCOL_VERSION ` +
          `(now ${PROTOCOL_VERSION}), add its line to the proto's history, and record ${PROTOCOL_VERSION + 1}: "${hash}"`;
    expect(hash, `${advice} in RECORDED_SCHEMA_HASHES (test/schema/protocol-version.test.ts).`).toBe(recorded);
  });

  it("PROTOCOL_VERSION is the newest recorded version, and every version changed the definitions", () => {
    const versions = Object.keys(RECORDED_SCHEMA_HASHES).map(Number);
    expect(Math.max(...versions)).toBe(PROTOCOL_VERSION);
    const hashes = Object.values(RECORDED_SCHEMA_HASHES);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it("the proto's history has one line per version up to PROTOCOL_VERSION, and its first line names it", () => {
    expect(historyVersions(proto)).toEqual(Array.from({ length: PROTOCOL_VERSION }, (_, i) => i + 1));
    expect(proto.split("\n")[0]).toMatch(new RegExp(`^// IronFlow sync protocol, version ${PROTOCOL_VERSION}\\.$`));
  });
});
