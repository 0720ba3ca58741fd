// Document schema versions: documents written by the previous schema open on this build (through
// the upgrades, on the device's real EntityStore), what this build writes into them is still
// accepted by the previous release's own validator, and a document of a newer schema is kept as
// it is and refused on read with a typed error.
import "fake-indexeddb/auto";
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo/slim";
import { describe, expect, it } from "vitest";
import { SCHEMA_VERSION, SchemaTooNew, schemaTag, taggedVersion, upgradeDocument, versionSince } from "../../schema/document-version.js";
import { documentSchemas, validateDocument, type EntityType } from "../../schema/entities.js";
import { plainJson } from "../../schema/plain-json.js";
import { Code } from "../../schema/status.js";
import { validateDocument as validateWithPreviousRelease } from "./fixtures/schema-v1-entities.js";
import { openEntityStore, v1Document } from "../support/entity-store.js";


const sync = { serverVersion: 3, serverTime: 1_800_000_000_000 };

function messagesOf(bytes: Uint8Array): (string | null)[] {
  const doc = A.load(bytes);
  const messages = A.getChangesMetaSince(doc, []).map((c) => c.message);
  A.free(doc);
  return messages;
}

describe("schema version tags", () => {
  it("an untagged change is version 1; a tag names its version", () => {
    expect(taggedVersion(null)).toBe(1);
    expect(taggedVersion("fixed the title")).toBe(1);
    expect(taggedVersion(schemaTag())).toBe(SCHEMA_VERSION);
    expect(taggedVersion("ironflow-schema/7")).toBe(7);
    expect(taggedVersion("ironflow-schema/07")).toBe(1);
  });

  it("the upgrades copy what they change and are idempotent", () => {
    const v1 = { type: "workout", deleted: { at: 1, hlc: "", deviceId: "d" } };
    const once = upgradeDocument(v1);
    expect(v1).toEqual({ type: "workout", deleted: { at: 1, hlc: "", deviceId: "d" } });
    expect(once).toEqual({ type: "workout", baseVersion: 0, deleted: { at: 1, hlc: "", deviceId: "d", baseVersion: 0 } });
    expect(upgradeDocument(once)).toEqual(once);
    expect(() => upgradeDocument(once, SCHEMA_VERSION + 1)).toThrow(SchemaTooNew);
  });
});

describe("documents written by the previous schema", () => {
  for (const [name, type] of [
    ["v1-workout", "workout"],
    ["v1-workout-deleted", "workout"],
    ["v1-exercise-definition", "exercise_definition"],
  ] as const satisfies readonly (readonly [string, EntityType])[]) {
    it(`${name}: version 1, refused by this schema as stored, valid once upgraded`, () => {
      const doc = A.load(v1Document(name));
      expect(versionSince(doc)).toBe(1);
      const stored = plainJson<Record<string, unknown>>(doc);
      A.free(doc);
      expect(documentSchemas[type].safeParse(stored).success).toBe(false);
      const checked = validateDocument(type, stored);
      if (!checked.ok) throw new Error(checked.message);
      expect(checked.value.baseVersion).toBe(0);
      expect(stored).not.toHaveProperty("baseVersion");
    });
  }

  it("a device opens and edits one; the edit carries the upgrade and this version's tag, and the previous release still accepts the result", async () => {
    const store = await openEntityStore("document-version");
    const bytes = v1Document("v1-workout");
    const id = plainJson<{ id: string }>(A.load(bytes)).id;
    await store.adopt("workout", id, bytes, sync);
    const read = await store.json(id);
    expect(read.baseVersion).toBe(0);
    if (read.type !== "workout") throw new Error("expected a workout");
    expect(read.payload.exercises[0]!.sets.map((s) => s.weight)).toEqual([140, 142.5]);

    await store.change(id, (doc) => {
      if (doc.type === "workout") doc.payload.title = "Leg day (heavy)";
    });
    const saved = await store.save(id);
    // History is never rewritten: the old changes are all still there, untagged, and only the
    // new change names this version.
    expect(messagesOf(saved)).toEqual([null, null, schemaTag()]);
    const after = A.load(saved);
    expect(A.hasHeads(after, A.getHeads(A.load(bytes)))).toBe(true);
    const stored = plainJson<Record<string, unknown>>(after);
    A.free(after);
    expect(stored).toMatchObject({ baseVersion: 3, payload: { title: "Leg day (heavy)" } });
    const previous = validateWithPreviousRelease("workout", stored);
    expect(previous.ok ? "" : previous.message).toBe("");
  });

  it("a deleted one opens with its tombstone upgraded, and a restore writes a tombstone-free document the previous release accepts", async () => {
    const store = await openEntityStore("document-version");
    const bytes = v1Document("v1-workout-deleted");
    const id = plainJson<{ id: string }>(A.load(bytes)).id;
    await store.adopt("workout", id, bytes, sync);
    expect((await store.json(id)).deleted).toMatchObject({ deviceId: "old-phone", baseVersion: 0 });
    await store.change(id, (doc) => {
      doc.deleted = null;
    });
    const after = A.load(await store.save(id));
    const stored = plainJson<Record<string, unknown>>(after);
    A.free(after);
    expect(stored["deleted"]).toBeNull();
    expect(validateWithPreviousRelease("workout", stored).ok).toBe(true);
  });

  it("a document this build creates is tagged with its version and is one the previous release accepts", async () => {
    const store = await openEntityStore("document-version");
    const { doc } = await store.create("exercise_definition", { name: "Row", muscleGroups: ["back"], equipment: "barbell", description: "" });
    const saved = await store.save(doc.id);
    expect(messagesOf(saved)).toEqual([schemaTag()]);
    const loaded = A.load(saved);
    expect(validateWithPreviousRelease("exercise_definition", plainJson(loaded)).ok).toBe(true);
    A.free(loaded);
  });
});

describe("a document of a newer schema", () => {
  /** A workout a future release (schema 3) wrote, with a root key this build does not know. */
  function fromTheFuture(): { id: string; bytes: Uint8Array } {
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    const root = {
      type: "workout",
      id,
      createdAt: 1,
      updatedAt: 1,
      deviceId: "future-phone",
      deviceName: "Future phone",
      hlc: "",
      baseVersion: 0,
      deleted: null,
      mood: "great",
      payload: { title: "Future day", startedAt: 1, completedAt: null, notes: "", exercises: [] },
    };
    const doc = A.change(A.init<Record<string, unknown>>(), { message: schemaTag(SCHEMA_VERSION + 1) }, (d) => Object.assign(d, root));
    const bytes = A.save(doc);
    A.free(doc);
    return { id, bytes };
  }

  it("is kept when it arrives, and refused on read and on edit with a typed error; nothing is written over it", async () => {
    const store = await openEntityStore("document-version");
    const { id, bytes } = fromTheFuture();
    await store.adopt("workout", id, bytes, sync);
    expect(store.record(id)).toMatchObject({ schemaVersion: SCHEMA_VERSION + 1, summary: { tooNew: true } });

    const read = await store.json(id).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(read).toBeInstanceOf(SchemaTooNew);
    expect(read).toMatchObject({ code: Code.FAILED_PRECONDITION, found: SCHEMA_VERSION + 1 });
    expect((read as Error).message).toContain("update the app");
    await expect(store.change(id, (doc) => (doc.updatedAt = 2))).rejects.toBeInstanceOf(SchemaTooNew);

    // Kept as it arrived: the same changes, the unknown key still there.
    const kept = await store.save(id);
    expect(messagesOf(kept)).toEqual(messagesOf(bytes));
    const loaded = A.load(kept);
    expect(plainJson<Record<string, unknown>>(loaded)["mood"]).toBe("great");
    A.free(loaded);
  });

  it("a newer change arriving on a document this device reads is stored, and from then on the document is refused on read", async () => {
    const store = await openEntityStore("document-version");
    const { doc } = await store.create("workout", { title: "Today", startedAt: 1, completedAt: null, notes: "", exercises: [] });
    const current = A.load<Record<string, unknown>>(await store.save(doc.id));
    const heads = A.getHeads(current);
    const newer = A.change(current, { message: schemaTag(SCHEMA_VERSION + 1) }, (d) => {
      d["mood"] = "great";
    });
    const changes = A.saveSince(newer, heads);
    A.free(newer);
    expect(await store.applyChanges(doc.id, changes, { serverVersion: 2, serverTime: 2 })).toBeDefined();
    expect(store.record(doc.id)?.schemaVersion).toBe(SCHEMA_VERSION + 1);
    await expect(store.json(doc.id)).rejects.toBeInstanceOf(SchemaTooNew);
    expect(messagesOf(await store.save(doc.id))).toEqual([schemaTag(), schemaTag(SCHEMA_VERSION + 1)]);
  });

  it("a record kept before versions existed has its document looked at once, and a newer one is refused", async () => {
    const store = await openEntityStore("document-version");
    const { id, bytes } = fromTheFuture();
    await store.adopt("workout", id, bytes, sync);
    const olderRecord = { ...store.requireRecord(id) };
    delete olderRecord.schemaVersion;
    await store.putRecord(olderRecord);
    await expect(store.json(id)).rejects.toBeInstanceOf(SchemaTooNew);
    expect(store.record(id)?.schemaVersion).toBe(SCHEMA_VERSION + 1);
  });

  it("is refused when a peer or an import brings it, and nothing is stored", async () => {
    const store = await openEntityStore("document-version");
    const { id, bytes } = fromTheFuture();
    await expect(store.takeIn("workout", id, bytes, () => Promise.resolve())).rejects.toBeInstanceOf(SchemaTooNew);
    expect(store.record(id)).toBeUndefined();
    expect(await store.exists(id)).toBe(false);
  });
});
