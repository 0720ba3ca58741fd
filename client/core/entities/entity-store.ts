// Entities on the device: one Automerge document per entity in an Automerge Repo, plus the
// per-entity record (sync metadata and list summary). A change is "saved on this device" only
// once the Repo has flushed it to storage.
import * as A from "@automerge/automerge";
import {
  generateAutomergeUrl,
  parseAutomergeUrl,
  type DocHandle,
  type DocumentId,
  type Repo,
} from "@automerge/automerge-repo";
import {
  payloadSchemas,
  summarize,
  validateDocument,
  type EntityDocument,
  type EntityType,
  type Payloads,
} from "../../../schema/entities.js";
import { Code, SyncError } from "../../../schema/status.js";
import type { HybridLogicalClock } from "../clock/hlc.js";
import type { RecordStore } from "../storage/records.js";
import type { EntityRecord } from "../sync/records.js";
import { deepEqual } from "../../../schema/json.js";
import { applyJsonDiff } from "./json-diff.js";

const EMPTY_DOCUMENT = A.save(A.init());

export class EntityStore {
  private readonly records = new Map<string, EntityRecord>();

  constructor(
    private readonly repo: Repo,
    private readonly recordStore: RecordStore<EntityRecord>,
    private readonly clock: HybridLogicalClock,
    private readonly deviceId: string,
    private readonly deviceName: string,
    private readonly now: () => number,
  ) {}

  async load(): Promise<void> {
    for (const record of await this.recordStore.all()) this.records.set(record.id, record);
  }

  record(id: string): EntityRecord | undefined {
    return this.records.get(id);
  }

  allRecords(): EntityRecord[] {
    return [...this.records.values()];
  }

  async putRecord(record: EntityRecord): Promise<void> {
    await this.recordStore.put(record.id, record);
    this.records.set(record.id, record);
  }

  async handle(id: string): Promise<DocHandle<EntityDocument>> {
    if (!this.records.has(id)) throw new SyncError(Code.NOT_FOUND, `no entity ${id} on this device`);
    return this.repo.find<EntityDocument>(id as DocumentId);
  }

  async doc(id: string): Promise<A.Doc<EntityDocument>> {
    return (await this.handle(id)).doc();
  }

  /** Creates the entity; resolves once it is in storage. */
  async create<T extends EntityType>(type: T, payload: Payloads[T]): Promise<{ doc: EntityDocument; record: EntityRecord }> {
    const parsedPayload = payloadSchemas[type].safeParse(payload);
    if (!parsedPayload.success) throw new SyncError(Code.INVALID_ARGUMENT, `invalid ${type}: ${parsedPayload.error.issues[0]?.message}`);
    const id = parseAutomergeUrl(generateAutomergeUrl()).documentId;
    const at = this.now();
    const initial = {
      type,
      id,
      createdAt: at,
      updatedAt: at,
      deviceId: this.deviceId,
      deviceName: this.deviceName,
      hlc: this.clock.tick(),
      deleted: null,
      payload: parsedPayload.data,
    };
    const checked = validateDocument(type, initial);
    if (!checked.ok) throw new SyncError(Code.INVALID_ARGUMENT, checked.message);
    const handle = this.importAs(id, A.from<Record<string, unknown>>(initial as unknown as Record<string, unknown>));
    await this.repo.flush([id]);
    const record: EntityRecord = {
      id,
      type,
      summary: summarize(checked.value),
      serverVersion: 0,
      syncedHeads: [],
      serverTime: null,
    };
    await this.putRecord(record);
    return { doc: handle.doc(), record };
  }

  /**
   * Applies a local change and resolves once it is in storage. `mutate` edits a plain copy of
   * the document; the copy is validated, and only the difference is written to Automerge. A
   * change that would make the document invalid throws INVALID_ARGUMENT and changes nothing.
   */
  async change(id: string, mutate: (doc: EntityDocument) => void): Promise<{ doc: EntityDocument; record: EntityRecord }> {
    const handle = await this.handle(id);
    const record = this.records.get(id)!;
    const before = A.toJS(handle.doc() as A.Doc<EntityDocument>) as EntityDocument;
    const after = structuredClone(before);
    mutate(after);
    after.updatedAt = this.now();
    after.deviceId = this.deviceId;
    after.deviceName = this.deviceName;
    after.hlc = this.clock.tick();
    // A tombstone made by this change carries this change's clock.
    if (after.deleted && after.deleted.hlc === "") after.deleted.hlc = after.hlc;
    const checked = validateDocument(record.type, after);
    if (!checked.ok) throw new SyncError(Code.INVALID_ARGUMENT, checked.message);
    handle.change((draft) => applyJsonDiff(draft as unknown as Record<string, unknown>, before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>));
    await this.repo.flush([id as DocumentId]);
    const summary = summarize(after);
    if (deepEqual(summary, record.summary)) return { doc: after, record };
    const next = { ...record, summary };
    await this.putRecord(next);
    return { doc: after, record: next };
  }

  /**
   * A new handle under our id holding `doc`. Repo.import(bytes, {docId}) would replay the whole
   * document as patches onto an empty one (tens of ms for a workout); handing the loaded
   * document to the handle does not.
   */
  private importAs(id: string, doc: A.Doc<unknown>): DocHandle<EntityDocument> {
    const handle = this.repo.import<EntityDocument>(EMPTY_DOCUMENT, { docId: id as DocumentId });
    handle.update(() => doc as A.Doc<EntityDocument>);
    return handle;
  }

  /**
   * Applies the relay's changes to the local document. Returns undefined when they depend on
   * history this device lacks (Automerge holds them until it arrives; the caller pulls the
   * whole document, which brings it).
   */
  async applyChanges(id: string, changes: Uint8Array): Promise<EntityDocument | undefined> {
    const handle = await this.handle(id);
    handle.update((doc) => A.loadIncremental(doc as A.Doc<unknown>, changes) as A.Doc<EntityDocument>);
    if (A.getMissingDeps(handle.doc() as A.Doc<unknown>, []).length > 0) return undefined;
    await this.repo.flush([id as DocumentId]);
    const doc = handle.doc();
    this.clock.observe(doc.hlc);
    return doc;
  }

  /**
   * Lets the Repo drop its in-memory handle (the document stays in storage and loads again on
   * the next use). Catching up on hundreds of documents otherwise keeps every one in memory.
   */
  async release(id: string): Promise<void> {
    await this.repo.removeFromCache(id as DocumentId);
  }

  /** Takes in a document this device has never seen, from the relay. */
  async adopt(type: EntityType, id: string, bytes: Uint8Array): Promise<EntityDocument> {
    const handle = this.importAs(id, A.load(bytes));
    await this.repo.flush([id as DocumentId]);
    const doc = handle.doc();
    this.clock.observe(doc.hlc);
    await this.putRecord({
      id,
      type,
      summary: summarize(doc),
      serverVersion: 0,
      syncedHeads: [],
      serverTime: null,
    });
    return doc;
  }

  /**
   * Merges another replica's document into the local one, then applies `mutate` as one local
   * change (on a plain copy, validated like any other), and flushes.
   */
  async mergeThenChange(id: string, other: A.Doc<unknown>, mutate: (doc: EntityDocument) => void): Promise<{ doc: EntityDocument; record: EntityRecord }> {
    const handle = await this.handle(id);
    handle.update((doc) => A.merge(doc as A.Doc<unknown>, other) as A.Doc<EntityDocument>);
    this.clock.observe((other as { hlc?: string }).hlc ?? "");
    return this.change(id, mutate);
  }

  /** Merges another replica's document into the local one and flushes. */
  async merge(id: string, other: A.Doc<unknown>): Promise<EntityDocument> {
    const handle = await this.handle(id);
    handle.update((doc) => A.merge(doc as A.Doc<unknown>, other) as A.Doc<EntityDocument>);
    await this.repo.flush([id as DocumentId]);
    const doc = handle.doc();
    this.clock.observe(doc.hlc);
    return doc;
  }
}
