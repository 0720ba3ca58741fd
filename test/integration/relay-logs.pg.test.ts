// The relay's structured logs (pino, one JSON object per line), written to a stream the test
// reads: every sync event of a scripted run over real sockets, asserted by its fields, and
// never a token or a document's contents.
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { Operation } from "../../schema/protocol/frames.js";
import { jsonLogger } from "../../relay/logger.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
import { workout } from "../support/devices.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type Line = Record<string, unknown>;

/** A relay logging into `lines`, as JSON text first (what an operator's collector reads). */
async function loggingRelay(): Promise<{ relay: Relay; lines: Line[]; text: string[] }> {
  const text: string[] = [];
  const lines: Line[] = [];
  const log = jsonLogger({
    write: (line: string) => {
      text.push(line);
      lines.push(JSON.parse(line) as Line);
    },
  });
  const db = await freshPgStore();
  const relay = await startTestRelay({ store: db.store, log, limits: { maxBatchItems: 2 } });
  cleanups.push(db.close, () => relay.close().catch(() => undefined));
  return { relay, lines, text };
}

function create(label: string) {
  const id = idFor(label);
  const doc = entityDoc("workout", id, workout(`Title of ${label}`, [{ name: "Squat", sets: [[5, 140]] }]));
  return { id, doc, item: { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0, timestamp: 1n } };
}

const events = (lines: Line[], name: string) => lines.filter((line) => line["event"] === name);

describe("the relay's sync logs", () => {
  it("a push logs sync_attempt and sync_success; a conflict sync_conflict; a refused item its code; a refused batch sync_failed", async () => {
    const { relay, lines, text } = await loggingRelay();
    const phone = await RawRelaySocket.hello(relay.syncUrl, "ada", "phone");
    cleanups.push(() => phone.close());
    const who = { user_id: phone.userId, device_id: "phone" };

    const squat = create("log squat");
    await phone.request({ case: "sync", value: { items: [squat.item] } }, 7);
    const edited = A.change(A.clone(squat.doc), (d) => {
      d.payload.notes = "heavy";
    });
    const stale = { entityType: "workout", entityId: squat.id, operation: Operation.UPDATE, data: A.saveSince(edited, A.getHeads(squat.doc)), version: 0, timestamp: 2n };
    const garbage = { ...create("log garbage").item, data: new Uint8Array([1, 2, 3]) };
    await phone.request({ case: "sync", value: { items: [stale, garbage] } }, 8);
    await phone.request({ case: "sync", value: { items: [create("a").item, create("b").item, create("c").item] } }, 9);

    expect(events(lines, "sync_attempt")).toEqual([
      { level: "info", time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown, event: "sync_attempt", request_id: 7, ...who, items_count: 1 },
      expect.objectContaining({ event: "sync_attempt", request_id: 8, ...who, items_count: 2 }),
      expect.objectContaining({ event: "sync_attempt", request_id: 9, ...who, items_count: 3 }),
    ]);
    const durationMs = expect.any(Number) as unknown;
    expect(events(lines, "sync_success")).toEqual([
      { level: "info", time: expect.any(String) as unknown, event: "sync_success", request_id: 7, ...who, items_synced: 1, conflicts: 0, errors: 0, duration_ms: durationMs },
      expect.objectContaining({ request_id: 8, items_synced: 0, conflicts: 1, errors: 1 }),
    ]);
    expect(events(lines, "sync_conflict")).toEqual([
      {
        level: "info",
        time: expect.any(String) as unknown,
        event: "sync_conflict",
        request_id: 8,
        ...who,
        entity_type: "workout",
        entity_id: squat.id,
        client_version: 0,
        server_version: 1,
        strategy: "user_choice",
        resolution: "user_prompt",
      },
    ]);
    expect(events(lines, "sync_item_refused")).toEqual([
      expect.objectContaining({ request_id: 8, ...who, entity_type: "workout", entity_id: idFor("log garbage"), code: "INVALID_ARGUMENT", message: expect.stringMatching(/not Automerge data/) as unknown }),
    ]);
    expect(events(lines, "sync_failed")).toEqual([
      { level: "error", time: expect.any(String) as unknown, event: "sync_failed", request_id: 9, ...who, items_count: 3, code: "RESOURCE_EXHAUSTED", message: "a batch holds at most 2 items", duration_ms: durationMs },
    ]);

    // Neither the access token nor anything a document holds is in any line.
    const all = text.join("\n");
    expect(all).not.toContain(phone.accessToken);
    expect(all).not.toContain("Title of");
    expect(all).not.toContain("Squat");
  });

  it("a field that could hold a secret or a payload is dropped from the line", () => {
    const text: string[] = [];
    const log = jsonLogger({ write: (line: string) => void text.push(line) });
    log.info("something", { device_id: "phone", access_token: "eyJ.secret", refreshToken: "r", password: "p", data: "payload", kept: 1 });
    expect(JSON.parse(text[0]!)).toEqual({ level: "info", time: expect.any(String) as unknown, event: "something", device_id: "phone", kept: 1 });
  });
});
