// Protocol 5 only added ResolutionCount.entity_type, and both directions stay readable: a version
// 4 reader (version 4's own descriptor, kept in fixtures/) skips the type and still sums a version 5 device's
// rows by kind, and a version 4 device's rows read under version 5 with no type (which the relay
// counts as entity_type "unknown"; docs/observability.md).
import { readFileSync } from "node:fs";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { fileDesc, messageDesc } from "@bufbuild/protobuf/codegenv2";
import { describe, expect, it } from "vitest";
import { DeviceHealthSchema, ResolutionKind } from "../../schema/protocol/frames.js";

/**
 * sync.proto as version 4 devices and relays in the field know it: the descriptor embedded in
 * sync_pb.ts when version 4 shipped, kept as it was (never regenerate it).
 */
function version4File() {
  return fileDesc(readFileSync(new URL("./fixtures/sync-proto-v4.b64", import.meta.url), "utf8").trim());
}

const byKind = (rows: readonly { kind: ResolutionKind; count: number }[]) => {
  const out = new Map<ResolutionKind, number>();
  for (const { kind, count } of rows) out.set(kind, (out.get(kind) ?? 0) + count);
  return Object.fromEntries(out);
};

describe("ResolutionCount across protocol versions 4 and 5", () => {
  const v4 = version4File();
  const V4DeviceHealth = messageDesc(v4, v4.messages.findIndex((m) => m.name === "DeviceHealth")) as unknown as typeof DeviceHealthSchema;

  it("the kept descriptor is version 4's: ResolutionCount has kind and count, no entity type", () => {
    expect(v4.messages.find((m) => m.name === "ResolutionCount")?.fields.map((f) => [f.name, f.number])).toEqual([
      ["kind", 1],
      ["count", 2],
    ]);
  });

  it("a version 4 reader skips the entity type and sums a version 5 device's rows by kind", () => {
    const rows = [
      { entityType: "user_profile", kind: ResolutionKind.LAST_WRITE_WINS, count: 2 },
      { entityType: "recovery", kind: ResolutionKind.LAST_WRITE_WINS, count: 3 },
      { entityType: "workout", kind: ResolutionKind.CHOSE_MERGE, count: 1 },
    ];
    const bytes = toBinary(DeviceHealthSchema, create(DeviceHealthSchema, { queueDepth: 4, resolutions: rows }));
    const read = fromBinary(V4DeviceHealth, bytes);
    expect(read.queueDepth).toBe(4);
    expect(read.resolutions.map((r) => "entityType" in r && r.entityType !== "")).toEqual([false, false, false]);
    expect(byKind(read.resolutions)).toEqual({ [ResolutionKind.LAST_WRITE_WINS]: 5, [ResolutionKind.CHOSE_MERGE]: 1 });
  });

  it("a version 4 device's rows read under version 5 with an empty entity type", () => {
    const bytes = toBinary(V4DeviceHealth, create(V4DeviceHealth, { resolutions: [{ kind: ResolutionKind.CHOSE_MINE, count: 2 }] }));
    expect(fromBinary(DeviceHealthSchema, bytes).resolutions).toEqual([expect.objectContaining({ entityType: "", kind: ResolutionKind.CHOSE_MINE, count: 2 })]);
  });
});
