// Entities on the device: one Automerge document per entity (storage/document-store.ts), and
// beside it the entity's record (sync metadata, list summary, resolution records). Every method
// speaks JSON or bytes; Automerge documents never leave this file, so nothing else can hold one
// that the document store has let go of.
// Specification: docs/device-storage.md, docs/conflicts.md
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl } from "@automerge/automerge-repo/slim";
import {
  isEntityType,
  MAX_RESOLUTIONS,
  summarize,
  validateDocument,
  type DeviceRef,
  type EntityDocument,
  type EntitySummary,
  type EntityType,
  type Payloads,
  type Resolution,
} from "../../../schema/entities.js";
import { hasHistory } from "../../../schema/automerge-history.js";
import { SCHEMA_VERSION, SchemaTooNew, changeOptions, requireKnownVersion, upgradeDocument, versionSince } from "../../../schema/document-version.js";
import { deepEqual } from "../../../schema/json.js";
import { Code, SyncError } from "../../../schema/status.js";
import type { HybridLogicalClock } from "../clock/hlc.js";
import { DocumentMissing, type AnyDoc, type DocumentStore } from "../storage/document-store.js";
import type { RecordStore, UnreadableRecord } from "../storage/record-store.js";
import type { EntityRecord } from "./entity-record.js";
import { applyJsonDiff } from "./json-diff.js";
import { plainJson } from "../../../schema/plain-json.js";
import { conflictingLeaves, setAt } from "./three-way.js";
import { deviceOf, editLostToDelete, lostValue, type ResolutionDraft } from "./lost-work.js";

export interface ChangeOptions {
  /**
   * The heads of the document the person was looking at when they made this change. When the
   * document moved on meanwhile, only what the person changed is applied on top of it, and a
   * field they typed over a change that arrived meanwhile is recorded (the other value is kept
   * in a resolution record, never silently overwritten).
   */
  basedOn?: string[];
  /** Runs once the change is computed and valid, before it is written (the sync queue's intent). */
  beforeWrite?: (doc: EntityDocument, written: WrittenChange) => Promise<void>;
  /**
   * Refuse the change when the entity is deleted by then (a delete that arrived while the person
   * was editing): saving into a tombstone would hide the edit. Checked on the document as it is
   * when the change is written, not before.
   */
  refuseDeleted?: boolean;
}

/**
 * What a local change adds to the document, for the sync queue to keep beside its item (so a push
 * never loads the document): the heads before and after, this change's bytes, and the entity's
 * whole unsynced history computed on demand. Valid only during `beforeWrite`.
 */
export interface WrittenChange {
  /** The record's synced heads when the change was made. */
  syncedHeads: string[];
  headsBefore: string[];
  heads: string[];
  /** This change alone (the changes from `headsBefore` to `heads`). */
  bytes: () => Uint8Array;
  /** Every change since `syncedHeads` (the whole document when none); undefined when the document lacks them. */
  sinceSynced: () => Uint8Array | undefined;
}

export interface Changed {
  doc: EntityDocument;
  record: EntityRecord;
}

export class EntityStore {
  private readonly records = new Map<string, EntityRecord>();

  constructor(
    private readonly docs: DocumentStore,
    private readonly recordStore: RecordStore<EntityRecord>,
    private readonly clock: HybridLogicalClock,
    readonly device: DeviceRef,
    /** The device's clock, corrected to the relay's when they disagree. */
    private readonly now: () => number,
  ) {}

  /** Reads every record; those that do not read are returned (rebuildRecord makes them again). */
  async load(): Promise<UnreadableRecord[]> {
    const { values, unreadable } = await this.recordStore.readable();
    for (const record of values) this.records.set(record.id, record);
    return unreadable;
  }

  /**
   * A record again for a document whose record did not read: what the document says of itself,
   * on no relay version (the next push finds the relay's and, holding it already, pushes on it:
   * reconcile.ts). False when the document is missing or does not read either.
   */
  async rebuildRecord(id: string): Promise<boolean> {
    let type: unknown;
    try {
      type = await this.read(id, (doc) => doc["type"]);
    } catch {
      return false;
    }
    if (typeof type !== "string" || !isEntityType(type)) return false;
    await this.putRecord({ id, type, summary: { type, id, date: 0, title: "", deleted: false }, serverVersion: 0, syncedHeads: [], serverTime: null });
    try {
      await this.refreshRecord(id, await this.json(id));
    } catch (err) {
      // Written by a newer version of the app: listed as it is until this one is updated.
      if (!(err instanceof SchemaTooNew)) throw err;
    }
    return true;
  }

  record(id: string): EntityRecord | undefined {
    return this.records.get(id);
  }

  allRecords(): EntityRecord[] {
    return [...this.records.values()];
  }

  /** Writes the record, with the heads its document has in storage now when it is in memory. */
  async putRecord(record: EntityRecord): Promise<void> {
    const storedHeads = this.docs.storedHeads(record.id);
    const next: EntityRecord = { ...record, storedHeads: storedHeads ? [...storedHeads] : undefined };
    if (!storedHeads) delete next.storedHeads;
    await this.recordStore.put(next.id, next);
    this.records.set(next.id, next);
  }

  async removeRecord(id: string): Promise<void> {
    await this.recordStore.remove(id);
    this.records.delete(id);
  }

  /**
   * The document as JSON, upgraded to this build's schema. SchemaTooNew when a newer version of
   * the app wrote it (the document stays as it is).
   */
  async json(id: string): Promise<EntityDocument> {
    await this.requireReadable(id);
    return this.read(id, (doc) => documentJson(doc));
  }

  /** The document and its heads, read together: a change arriving in between cannot split them. */
  async jsonWithHeads(id: string): Promise<{ doc: EntityDocument; heads: string[] }> {
    await this.requireReadable(id);
    return this.read(id, (doc) => ({ doc: documentJson(doc), heads: A.getHeads(doc) }));
  }

  /** The document as it was at `heads`, or undefined when this device does not have them. */
  async jsonAt(id: string, heads: string[]): Promise<EntityDocument | undefined> {
    if (heads.length === 0) return undefined;
    await this.requireReadable(id);
    return this.read(id, (doc) => (hasHistory(doc, heads) ? documentJson(A.view(doc, heads)) : undefined));
  }

  /**
   * Throws SchemaTooNew when the entity's document was written by a newer schema than this build
   * reads. A record from before versions were kept has its document looked at once.
   */
  async requireReadable(id: string): Promise<void> {
    const record = this.requireRecord(id);
    let version = record.schemaVersion;
    if (version === undefined) {
      version = await this.read(id, (doc) => versionSince(doc));
      await this.putRecord({ ...this.requireRecord(id), schemaVersion: version });
    }
    requireKnownVersion(version);
  }

  async heads(id: string): Promise<string[]> {
    return this.read(id, (doc) => A.getHeads(doc));
  }

  /** The document's heads and the changes since `since` (its whole history for none). */
  async changesSince(id: string, since: string[]): Promise<{ heads: string[]; changes: Uint8Array }> {
    return this.read(id, (doc) => ({ heads: A.getHeads(doc), changes: since.length === 0 ? A.save(doc) : A.saveSince(doc, since) }));
  }

  /** Whether the document holds every change in `heads`. */
  async has(id: string, heads: string[]): Promise<boolean> {
    return this.read(id, (doc) => hasHistory(doc, heads));
  }

  /** Whether storage holds a document for `id` (a record may be missing after a crash). */
  async exists(id: string): Promise<boolean> {
    return (await this.docs.read(id, () => true)) ?? false;
  }

  /** Creates the entity; resolves once it is in storage. */
  async create<T extends EntityType>(type: T, payload: Payloads[T], beforeWrite?: (doc: EntityDocument, written: WrittenChange) => Promise<void>): Promise<Changed> {
    // The payload is validated once, inside the whole document (its schema holds the payload's).
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    const at = this.now();
    const initial = {
      type,
      id,
      createdAt: at,
      createdBy: { id: this.device.id, name: this.device.name },
      updatedAt: at,
      deviceId: this.device.id,
      deviceName: this.device.name,
      hlc: this.clock.tick(),
      baseVersion: 0,
      deleted: null,
      payload,
    };
    const checked = validateDocument(type, initial);
    if (!checked.ok) throw new SyncError(Code.INVALID_ARGUMENT, checked.message);
    // A.from with the change message that names this schema version (A.from takes none).
    const doc = A.change(A.init<Record<string, unknown>>(), changeOptions(), (draft) => Object.assign(draft, plainJson(checked.value)));
    // One A.save serves as the queue's unsynced changes (all of them) and the stored snapshot.
    const saved = A.save(doc);
    try {
      await beforeWrite?.(checked.value, { syncedHeads: [], headsBefore: [], heads: A.getHeads(doc), bytes: () => saved, sinceSynced: () => saved });
    } catch (err) {
      A.free(doc);
      throw err;
    }
    await this.docs.create(id, doc, saved);
    const record: EntityRecord = { id, type, summary: summarize(checked.value), serverVersion: 0, syncedHeads: [], serverTime: null, resolutions: [], schemaVersion: SCHEMA_VERSION };
    await this.putRecord(record);
    return { doc: checked.value, record };
  }

  /**
   * A local change: `mutate` edits a plain copy, stamped as this device's write on the server
   * version it has. Resolves once it is in storage. An invalid result throws INVALID_ARGUMENT and
   * changes nothing.
   */
  async change(id: string, mutate: (doc: EntityDocument) => void, options: ChangeOptions = {}): Promise<Changed> {
    // A document of a newer schema is never edited: this build cannot tell what an edit would destroy.
    await this.requireReadable(id);
    const record = this.requireRecord(id);
    const doc = await this.update(id, async (current) => {
      const heads = A.getHeads(current);
      const basedOn = options.basedOn && options.basedOn.length > 0 && !sameHeads(options.basedOn, heads) && hasHistory(current, options.basedOn) ? options.basedOn : undefined;
      // The edit is written as the difference from the stored JSON, so an upgrade goes in with it.
      // Read in place, not copied: only `edited` copies it, once, for `mutate` to change.
      const stored = materialised(current);
      const now = upgradeDocument(stored);
      if (options.refuseDeleted && now.deleted !== null) {
        throw new SyncError(Code.FAILED_PRECONDITION, "this was deleted; restore it before editing");
      }
      const target = basedOn ? rebaseEdit(current, basedOn, mutate) : edited(now, mutate);
      this.stamp(target.doc, record.serverVersion);
      this.addResolutions(target.doc, target.records);
      const checked = this.validate(record.type, target.doc);
      const next = A.change(current, changeOptions(), (draft) => applyJsonDiff(asObject(draft), asObject(stored), asObject(checked)));
      await options.beforeWrite?.(checked, written(next, heads, this.requireRecord(id).syncedHeads));
      return { doc: next, value: checked };
    });
    return { doc, record: await this.refreshRecord(id, doc, SCHEMA_VERSION) };
  }

  /**
   * Merges the relay's document into this device's and makes the result `decide`'s target, as
   * one more change: the smallest change on top of Automerge's merge. `decide` gets the common
   * base, this device's document and the merge, as JSON; the target it returns is stored as it
   * is (a settlement carries the winning write's stamp, not a new one).
   */
  async mergeAndSettle(
    id: string,
    server: Uint8Array,
    decide: (sides: { base: EntityDocument | undefined; local: EntityDocument; merged: EntityDocument }) => EntityDocument,
  ): Promise<Changed> {
    await this.requireReadable(id);
    const record = this.requireRecord(id);
    const doc = await this.update(id, (current) => {
      const local = documentJson(current);
      const base = record.syncedHeads.length > 0 && hasHistory(current, record.syncedHeads) ? documentJson(A.view(current, record.syncedHeads)) : undefined;
      const headsBefore = A.getHeads(current);
      const merged = A.loadIncremental(current, server);
      // The relay's side written by a newer schema: nothing is settled or stored (this device's
      // document and its pending change stay; the relay keeps its version).
      const incoming = versionSince(merged, headsBefore);
      requireKnownVersion(incoming);
      const mergedStored = plainJson<EntityDocument>(merged);
      const mergedJson = upgradeDocument(withEveryResolutionList(merged, mergedStored));
      this.clock.observe(mergedJson.hlc);
      const target = this.validate(record.type, decide({ base, local, merged: mergedJson }));
      return { doc: A.change(merged, changeOptions(), (draft) => applyJsonDiff(asObject(draft), asObject(mergedStored), asObject(target))), value: target };
    });
    return { doc, record: await this.refreshRecord(id, doc, SCHEMA_VERSION) };
  }

  /**
   * Applies the relay's changes of version `sync.serverVersion`, and writes the record once: the
   * summary, the resolution records and that version, synced at the heads the changes lead to.
   * Returns undefined when they depend on history this device lacks (nothing is stored then; the
   * caller fetches the whole document).
   */
  async applyChanges(id: string, changes: Uint8Array, sync: Pick<EntityRecord, "serverVersion" | "serverTime">): Promise<EntityDocument | undefined> {
    const known = this.requireRecord(id).schemaVersion;
    const { doc, complete, version, heads } = await this.update(id, (current) => {
      const headsBefore = A.getHeads(current);
      const next = A.loadIncremental(current, changes);
      const complete = A.getMissingDeps(next, []).length === 0;
      return { doc: next, value: { doc: documentJson(next), complete, version: receivedVersion(known, next, headsBefore), heads: A.getHeads(next) } };
    });
    if (!complete) return undefined;
    this.clock.observe(doc.hlc);
    await this.refreshRecord(id, doc, version, { ...sync, syncedHeads: heads });
    return doc;
  }

  /**
   * Takes the relay's whole document in (its history already holds everything this device has),
   * with its version, in one write of the record.
   */
  async mergeIn(id: string, bytes: Uint8Array, sync: Pick<EntityRecord, "serverVersion" | "serverTime" | "syncedHeads">): Promise<EntityDocument> {
    const known = this.requireRecord(id).schemaVersion;
    const { doc, version } = await this.update(id, (current) => {
      const headsBefore = A.getHeads(current);
      const next = A.loadIncremental(current, bytes);
      return { doc: next, value: { doc: documentJson(next), version: receivedVersion(known, next, headsBefore) } };
    });
    this.clock.observe(doc.hlc);
    await this.refreshRecord(id, doc, version, sync);
    return doc;
  }

  /** Takes in a document this device has no record of, from the relay. */
  async adopt(type: EntityType, id: string, bytes: Uint8Array, sync: Pick<EntityRecord, "serverVersion" | "serverTime">): Promise<EntityDocument> {
    const loaded = A.load<unknown>(bytes);
    const heads = A.getHeads(loaded);
    if (await this.exists(id)) {
      // Its document was stored before and its record was not (the device stopped between the
      // two writes): the relay's version is merged into what storage holds, never refused as
      // "already there", which would stop every later pull at this entity.
      A.free(loaded);
      const { merged, version } = await this.update(id, (current) => {
        const next = A.loadIncremental(current, bytes);
        return { doc: next, value: { merged: documentJson(next), version: versionSince(next) } };
      });
      this.clock.observe(merged.hlc);
      await this.putRecord({ id, type, summary: summaryOf(merged, version), syncedHeads: heads, ...sync, resolutions: merged.resolutions ?? [], schemaVersion: version });
      return merged;
    }
    // Adopted whatever its schema version: a newer one is kept as it is, and refused on read.
    const doc = documentJson(loaded);
    const version = versionSince(loaded);
    await this.docs.create(id, loaded);
    this.clock.observe(doc.hlc);
    await this.putRecord({ id, type, summary: summaryOf(doc, version), syncedHeads: heads, ...sync, resolutions: doc.resolutions ?? [], schemaVersion: version });
    return doc;
  }

  /** Deletes an entity that never reached the relay: its document and record are gone from this device. */
  async forget(id: string): Promise<void> {
    const record = this.requireRecord(id);
    if (record.serverVersion !== 0) throw new SyncError(Code.FAILED_PRECONDITION, "only an entity that never synced can be forgotten");
    await this.docs.remove(id);
    await this.removeRecord(id);
  }

  /** The whole document (its history), as it would be sent to a device that never saw it. */
  async save(id: string): Promise<Uint8Array> {
    return this.read(id, (doc) => A.save(doc));
  }

  /**
   * Takes in a whole document from outside the relay (an import): merged into the local one when
   * this device has the entity (the same history adds nothing), adopted as a new entity, never
   * synced, when it does not. The result is validated against its type before it is stored.
   */
  async takeIn(type: EntityType, id: string, bytes: Uint8Array, beforeWrite: () => Promise<void>): Promise<{ doc: EntityDocument; changed: boolean }> {
    const incoming = A.load<unknown>(bytes);
    // A document of a newer schema cannot be validated here: refused, and it stays where it came from.
    const version = versionSince(incoming);
    if (version > SCHEMA_VERSION) {
      A.free(incoming);
      throw new SchemaTooNew(version);
    }
    const json = plainJson<EntityDocument>(incoming);
    const checked = validateDocument(type, json);
    if (!checked.ok || checked.value.id !== id) {
      A.free(incoming);
      throw new SyncError(Code.INVALID_ARGUMENT, checked.ok ? "the document's id is not the entity's" : checked.message);
    }
    if (!this.records.has(id)) {
      await beforeWrite();
      await this.docs.create(id, incoming);
      await this.putRecord({ id, type, summary: summarize(checked.value), serverVersion: 0, syncedHeads: [], serverTime: null, resolutions: checked.value.resolutions ?? [], schemaVersion: version });
      return { doc: checked.value, changed: true };
    }
    await this.requireReadable(id);
    const incomingHeads = A.getHeads(incoming);
    A.free(incoming);
    if (await this.has(id, incomingHeads)) return { doc: await this.json(id), changed: false };
    await beforeWrite();
    const doc = await this.update(id, (current) => {
      const next = A.loadIncremental(current, bytes);
      return { doc: next, value: this.validate(type, plainJson<EntityDocument>(next)) };
    });
    await this.refreshRecord(id, doc, version);
    return { doc, changed: true };
  }

  /** Lets go of the document in memory (it stays in storage). */
  release(id: string): void {
    this.docs.release(id);
  }

  /**
   * The summary and resolution records of `doc`, and the schema version its history now names
   * (at least `version`), written to its record when they changed; `sync` (the relay's version
   * the document now holds) goes into the same write.
   */
  async refreshRecord(id: string, doc: EntityDocument, version?: number, sync?: Pick<EntityRecord, "serverVersion" | "serverTime" | "syncedHeads">): Promise<EntityRecord> {
    const record = this.requireRecord(id);
    const schemaVersion = version === undefined ? record.schemaVersion : Math.max(version, record.schemaVersion ?? 1);
    const summary = summaryOf(doc, schemaVersion ?? 1);
    const resolutions = doc.resolutions ?? [];
    const storedHeads = this.docs.storedHeads(id);
    const unchanged = deepEqual(summary, record.summary) && deepEqual(resolutions, record.resolutions ?? []) && schemaVersion === record.schemaVersion;
    // Written when only the document's heads moved too: a local change's record then says it was
    // stored whole (and a record whose document is not at hand says nothing of its heads).
    const headsKept = storedHeads ? sameHeads(storedHeads, record.storedHeads ?? []) : record.storedHeads === undefined;
    if (!sync && unchanged && headsKept) return record;
    const next = { ...record, ...sync, summary, resolutions, ...(schemaVersion === undefined ? {} : { schemaVersion }) };
    await this.putRecord(next);
    return next;
  }

  /** Gives drafted records their id, time and device, and keeps the newest MAX_RESOLUTIONS. */
  addResolutions(doc: EntityDocument, drafts: ResolutionDraft[]): void {
    if (drafts.length === 0) return;
    const at = this.now();
    const tick = this.clock.tick();
    const added = drafts.map((draft, i): Resolution => ({ ...draft, id: `${tick}#${i}`, at, by: this.device, restoredAt: null }));
    doc.resolutions = newestResolutions([...(doc.resolutions ?? []), ...added]);
  }

  /** Marks `doc` as this device's write, now, on `baseVersion`. */
  stamp(doc: EntityDocument, baseVersion: number): void {
    doc.updatedAt = this.now();
    doc.deviceId = this.device.id;
    doc.deviceName = this.device.name;
    doc.hlc = this.clock.tick();
    doc.baseVersion = baseVersion;
    // A tombstone made by this change carries this change's clock and base version.
    if (doc.deleted && doc.deleted.hlc === "") doc.deleted = { ...doc.deleted, hlc: doc.hlc, baseVersion };
  }

  private validate(type: EntityType, doc: EntityDocument): EntityDocument {
    const checked = validateDocument(type, doc);
    if (!checked.ok) throw new SyncError(Code.INVALID_ARGUMENT, checked.message);
    return checked.value;
  }

  /** The entity's record; NOT_FOUND when this device does not have the entity. */
  requireRecord(id: string): EntityRecord {
    const record = this.records.get(id);
    if (!record) throw new SyncError(Code.NOT_FOUND, `no entity ${id} on this device`);
    return record;
  }

  private async read<T>(id: string, fn: (doc: AnyDoc) => T): Promise<T> {
    const found = await this.docs.read(id, (doc) => ({ value: fn(doc) }));
    if (!found) throw new SyncError(Code.NOT_FOUND, `no document for entity ${id} on this device`);
    return found.value;
  }

  private async update<T>(id: string, fn: (doc: AnyDoc) => { doc: AnyDoc; value: T } | Promise<{ doc: AnyDoc; value: T }>): Promise<T> {
    try {
      return await this.docs.update(id, fn);
    } catch (err) {
      if (err instanceof DocumentMissing) throw new SyncError(Code.NOT_FOUND, err.message);
      throw err;
    }
  }
}

/** The document as JSON, upgraded to this build's schema (documents of a newer one come as they are). */
function documentJson(doc: AnyDoc): EntityDocument {
  return upgradeDocument(plainJson<EntityDocument>(doc));
}

/**
 * The document's root as Automerge keeps it materialised: plain JS objects, NOT frozen, and
 * shared with the versions that follow (a change copies only the path it touches). Trap: writing
 * into it corrupts this document and the next. Only to read within the call that has the
 * document; anything kept, changed or handed out is a copy (plainJson, structuredClone).
 */
function materialised(doc: AnyDoc): EntityDocument {
  return doc as unknown as EntityDocument;
}

/** The schema version a document names after changes arrived: what was known, and what came since `headsBefore`. */
function receivedVersion(known: number | undefined, doc: AnyDoc, headsBefore: string[]): number {
  // A record from before versions were kept: the whole history, once.
  return known === undefined ? versionSince(doc) : Math.max(known, versionSince(doc, headsBefore));
}

/** The list's summary; a document of a newer schema may not have the shape this build summarises. */
function summaryOf(doc: EntityDocument, version: number): EntitySummary {
  if (version <= SCHEMA_VERSION) return summarize(doc);
  try {
    return { ...summarize(doc), tooNew: true };
  } catch {
    return { type: doc.type, id: doc.id, date: 0, title: "Needs a newer version of the app", deleted: false, tooNew: true };
  }
}

function written(doc: AnyDoc, headsBefore: string[], syncedHeads: string[]): WrittenChange {
  return {
    syncedHeads,
    headsBefore,
    heads: A.getHeads(doc),
    bytes: () => A.saveSince(doc, headsBefore),
    sinceSynced: () => (syncedHeads.length === 0 ? A.save(doc) : hasHistory(doc, syncedHeads) ? A.saveSince(doc, syncedHeads) : undefined),
  };
}

function edited(now: EntityDocument, mutate: (doc: EntityDocument) => void): { doc: EntityDocument; records: ResolutionDraft[] } {
  const doc = plainJson<EntityDocument>(now);
  mutate(doc);
  return { doc, records: [] };
}

/**
 * The person's edit of the document at `basedOn`, applied to the document as it is now: what they
 * changed is replayed on top with Automerge (on a copy, so an invalid result changes nothing),
 * fields that changed meanwhile and that they typed over keep their value and record the other
 * one, and sets they edited that were removed meanwhile are recorded as dropped.
 */
function rebaseEdit(current: AnyDoc, basedOn: string[], mutate: (doc: EntityDocument) => void): { doc: EntityDocument; records: ResolutionDraft[] } {
  const stored = plainJson<EntityDocument>(A.view(current, basedOn));
  const before = upgradeDocument(stored);
  const now = documentJson(current);
  const after = structuredClone(before);
  mutate(after);
  const fork = A.clone(current);
  try {
    const { newDoc } = A.changeAt(fork, basedOn, changeOptions(), (draft) => applyJsonDiff(asObject(draft), asObject(stored), asObject(after)));
    // Read from Automerge itself, not from the root it keeps materialised: after changeAt on a
    // document that has moved on, that root shows an element inserted since `basedOn` twice
    // (Automerge 3.5.0; A.toJS and a reload show it once), and writing that target over the
    // document made the set a real duplicate (never-lose-a-set, "reached meanwhile").
    const target = upgradeDocument(A.toJS(newDoc) as unknown as EntityDocument);
    const records: ResolutionDraft[] = [];
    const losing = deviceOf(now);
    // A delete of what the screen showed, when an edit arrived meanwhile: the delete is the
    // person's latest act and wins, and what the edit brought (sets they never saw) is recorded
    // as a delete won over a concurrent edit is, so it is named on every device and restorable.
    if (after.deleted !== null && before.deleted === null && now.deleted === null && !deepEqual(now.payload, before.payload)) {
      records.push(editLostToDelete(before, now));
    }
    for (const conflict of conflictingLeaves(before.payload, after.payload, now.payload, () => false, ["payload"])) {
      if (!setAt(target, conflict.path, conflict.local)) continue;
      records.push({ kind: "overwritten", path: conflict.path, lost: lostValue(conflict.server), losing });
    }
    const dropped = droppedSets(before, after, target);
    if (dropped.length > 0) records.push({ kind: "dropped_by_merge", path: ["payload"], lost: { sets: dropped }, losing });
    return { doc: target, records };
  } finally {
    A.free(fork);
  }
}

/** Sets the person added or changed (from `before` to `after`) that are not in `target`. */
function droppedSets(before: EntityDocument, after: EntityDocument, target: EntityDocument) {
  if (after.type !== "workout" || before.type !== "workout" || target.type !== "workout") return [];
  const kept = new Set(target.payload.exercises.flatMap((e) => e.sets.map((s) => s.id)));
  const previous = new Map(before.payload.exercises.flatMap((e) => e.sets.map((s) => [s.id, s] as const)));
  return after.payload.exercises.flatMap((exercise) =>
    exercise.sets
      .filter((set) => !kept.has(set.id) && !deepEqual(previous.get(set.id), set))
      .map((set) => ({ exerciseId: exercise.id, exerciseName: exercise.name, set })),
  );
}

function sameHeads(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}

function asObject(value: unknown): Record<string, unknown> {
  return value as Record<string, unknown>;
}

/** The newest MAX_RESOLUTIONS of `all` (oldest first), letting go of restored ones first. */
function newestResolutions(all: Resolution[]): Resolution[] {
  const kept = [...all];
  while (kept.length > MAX_RESOLUTIONS) {
    const restored = kept.findIndex((r) => r.restoredAt !== null);
    kept.splice(restored >= 0 ? restored : 0, 1);
  }
  return kept;
}

/**
 * The merged document with the records of every resolution list it holds. Two devices that each
 * settled a document without records made the list each (a concurrent put of one key), and the
 * merge shows one: the other's records were hidden, and the sets they named lost (found by the
 * property, seed 20261204, run 28: two devices each settling an edit against the same delete).
 * Each record once; a restored copy over one not restored.
 */
function withEveryResolutionList(merged: AnyDoc, json: EntityDocument): EntityDocument {
  const lists = Object.values(A.getConflicts(merged, "resolutions") ?? {});
  if (lists.length < 2) return json;
  const byId = new Map<string, Resolution>();
  for (const list of lists) {
    for (const record of plainJson<Resolution[]>(list as object)) {
      const known = byId.get(record.id);
      if (!known || (known.restoredAt === null && record.restoredAt !== null)) byId.set(record.id, record);
    }
  }
  return { ...json, resolutions: newestResolutions([...byId.values()].sort((a, b) => a.at - b.at)) };
}
