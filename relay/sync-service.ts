// The relay's sync core, independent of any socket library: a batch of items from one device
// goes through check -> version check and apply -> validate -> store (one transaction) ->
// fan-out. Batches of one user are serialised in this process; across processes the store's
// optimistic lock decides, and a cached document answers nothing the row has not confirmed.
// Specification: docs/relay.md
import * as A from "@automerge/automerge";
import { create } from "@bufbuild/protobuf";
import { assertNever } from "../schema/entities.js";
import { Code, SyncError } from "../schema/status.js";
import {
  EntitySnapshotSchema,
  SyncResultSchema,
  SyncStatus,
  type EntitySnapshot,
  type PullResponse,
  type SyncRequest,
  type SyncResult,
  PullResponseSchema,
} from "../schema/protocol/frames.js";
import { BatchGate } from "./batch-gate.js";
import { automergeFailure, automergeUnavailable, type AutomergeProbeApi } from "./automerge-readiness.js";
import { BatchRows } from "./batch-rows.js";
import { CATALOG_OWNER } from "./catalog/catalog.js";
import { DocumentCache, type CacheLease, type CachedDocument, type RelayDoc } from "./document-cache.js";
import type { Fanout } from "./fanout.js";
import { answerBudget, pushBudget, type RelayLimits } from "./limits.js";
import { applyChanges, type StoredDocument } from "./pipeline/apply-changes.js";
import type { Principal } from "./pipeline/authenticate.js";
import { authorizeSync } from "./pipeline/authorize.js";
import { checkItem, isFailure, type CheckedItem } from "./pipeline/check-item.js";
import { countChunks } from "./pipeline/automerge-chunks.js";
import { pairOutcomes, type ChangesPage, type RelayStore, type StoredEntity } from "./store/store.js";
import { MAX_STORED_CHUNKS, storedForm, type StoredForm } from "./stored-form.js";

const MAX_CURSOR = 2n ** 63n - 1n;

/**
 * A batch of more items than this is a device catching up (or an import), each document touched
 * once: it puts back into the cache only the documents it took from it, and frees the ones it
 * created or loaded (CacheLease). Live editing pushes a few items at a time, and keeps its
 * documents cached for the next edit.
 */
export const CACHING_BATCH_ITEMS = 20;

interface Staged {
  index: number;
  item: CheckedItem;
  doc: RelayDoc;
  json: Record<string, unknown>;
  deleted: boolean;
  stored: StoredForm;
}

export class SyncService {
  private readonly cache: DocumentCache;
  private readonly userQueues = new Map<string, Promise<unknown>>();
  private readonly gate: BatchGate;
  /** The exercise library's ids as of a catalog cursor; Postgres's cursor says when they are stale. */
  private library: Promise<{ ids: Set<string>; cursor: bigint }> | undefined;

  constructor(
    private readonly store: RelayStore,
    private readonly fanout: Fanout,
    private readonly limits: RelayLimits,
    /** Told of every document cache lookup (RelayMetrics). */
    private readonly observer?: { cacheLookup(hit: boolean): void },
    /** The module asked whether Automerge still works when a call into it throws (automerge-readiness.ts). */
    private readonly automerge: AutomergeProbeApi = A,
  ) {
    this.cache = new DocumentCache(limits.documentCacheSize, limits.documentCacheBytes);
    this.gate = new BatchGate(limits.concurrentBatches);
  }

  get cachedDocuments(): number {
    return this.cache.size;
  }

  /** Documents the batches at work hold outside the cache (taken out, or loaded from the store). */
  get heldDocuments(): number {
    return this.cache.held.count;
  }

  async sync(principal: Principal, request: SyncRequest): Promise<SyncResult[]> {
    authorizeSync(principal, request);
    if (request.items.length > this.limits.maxBatchItems) {
      throw new SyncError(Code.RESOURCE_EXHAUSTED, `a batch holds at most ${this.limits.maxBatchItems} items`);
    }
    // The person's queue first, then the process-wide gate: a batch waiting for its turn at the
    // gate never holds up another person's.
    const results = await this.serialised(principal.userId, () => this.gate.run(() => this.syncItems(principal, request))).catch((err: unknown) => {
      // Any Automerge call throws once the module trapped (a cached document's save or free, a
      // stored one's load): the batch is answered UNAVAILABLE, so the device keeps its changes.
      if (err instanceof SyncError) throw err;
      const failure = this.moduleFailure();
      throw failure === undefined ? err : automergeUnavailable(failure);
    });
    // Answered only once the batch's pokes have left: a device that holds the answer never pushes
    // these changes again, so a poke still waiting here when the relay dies would be lost for good
    // (the other relays' devices would wait for a cursor check). Outside the person's queue: their
    // next batch goes on meanwhile.
    await this.fanout.sent();
    return results;
  }

  private readonly moduleFailure = (): string | undefined => automergeFailure(this.automerge);

  /** The user's changes after `after`, and the exercise library's after `catalogAfter`. */
  async pull(principal: Principal, after: bigint, catalogAfter: bigint, limit: number): Promise<PullResponse> {
    // Cursors are Postgres int8: a larger one was never handed out.
    if (after > MAX_CURSOR || catalogAfter > MAX_CURSOR) {
      throw new SyncError(Code.INVALID_ARGUMENT, `a cursor is at most ${MAX_CURSOR} (2^63-1); pass back a cursor the relay gave`);
    }
    const pageSize = Math.min(limit > 0 ? limit : this.limits.maxPullPage, this.limits.maxPullPage);
    const budget: AnswerBudget = { left: answerBudget(this.limits), empty: true };
    const catalog = withinBudget(await this.store.changesSince(CATALOG_OWNER, catalogAfter, pageSize), catalogAfter, budget);
    const page = withinBudget(await this.store.changesSince(principal.userId, after, pageSize), after, budget);
    return create(PullResponseSchema, {
      entities: [...catalog.entities, ...page.entities].map(snapshotOfRow),
      cursor: page.cursor,
      catalogCursor: catalog.cursor,
      hasMore: page.hasMore || catalog.hasMore,
    });
  }

  close(): void {
    this.cache.clear();
  }

  /** The exercise library changed (this relay published it): its ids are read again. */
  libraryChanged(): void {
    this.library = undefined;
  }

  /**
   * The ids of the exercise library's entries, which no person's entity may take. Any relay may
   * publish the library, so the cached ids answer only while the library's cursor in Postgres
   * is the one they were read at (one small query per batch that creates); otherwise they are
   * read again.
   */
  private async libraryIds(): Promise<Set<string>> {
    const latest = (await this.store.latestCursors([CATALOG_OWNER])).get(CATALOG_OWNER) ?? 0n;
    let library = this.library ? await this.library : undefined;
    if (!library || library.cursor < latest) {
      const reading = this.store.changesSince(CATALOG_OWNER, 0n, 100_000).then((page) => ({ ids: new Set(page.entities.map((e) => e.entityId)), cursor: page.cursor }));
      this.library = reading;
      reading.catch(() => {
        if (this.library === reading) this.library = undefined;
      });
      library = await reading;
    }
    return library.ids;
  }

  private async syncItems(principal: Principal, request: SyncRequest): Promise<SyncResult[]> {
    const lease = this.cache.lease(principal.userId, request.items.length <= CACHING_BATCH_ITEMS);
    try {
      return await this.syncLeased(principal, request, lease);
    } finally {
      lease.end();
    }
  }

  private async syncLeased(principal: Principal, request: SyncRequest, lease: CacheLease): Promise<SyncResult[]> {
    const { userId } = principal;
    // Conflict answers carry whole documents: together they must fit one frame.
    const budget: AnswerBudget = { left: answerBudget(this.limits), empty: true };
    const results: SyncResult[] = [];
    const staged: Staged[] = [];
    // Versions this batch answers as conflicts: published again (publishAgain).
    const answeredConflicts: EntitySnapshot[] = [];
    const seen = new Set<string>();
    // Read once per batch, when it first creates something.
    let library: Set<string> | undefined;
    const checked = request.items.map((raw) => ({ raw, item: checkItem(raw) }));
    const uncached = checked.flatMap(({ item }) => (isFailure(item) || this.cache.holds(userId, item.entityId, item.baseVersion) ? [] : [item.entityId]));
    const rows = new BatchRows(this.store, userId, uncached);
    for (const [index, { raw, item }] of checked.entries()) {
      if (isFailure(item)) {
        results[index] = errorResult(raw.entityId, item.code, item.message);
        continue;
      }
      if (seen.has(item.entityId)) {
        results[index] = errorResult(raw.entityId, Code.INVALID_ARGUMENT, "entity appears twice in one batch");
        continue;
      }
      seen.add(item.entityId);
      // A person's entity under a library id would give devices one document with two histories.
      if (item.baseVersion === 0 && (library ??= await this.libraryIds()).has(item.entityId)) {
        results[index] = errorResult(item.entityId, Code.PERMISSION_DENIED, "this id belongs to the exercise library");
        continue;
      }
      const current = await this.load(item.entityId, item.baseVersion, rows, lease);
      // A create loads the pushed history: counted before the load, like a stored row.
      if (!current) lease.hold(item.entityId, item.changes.length);
      const outcome = applyChanges(item, current, pushBudget(this.limits), this.moduleFailure);
      switch (outcome.kind) {
        case "conflict": {
          const bytes = A.save(outcome.current.doc);
          const answer = conflictWithin(budget, item.entityId, { ...outcome.current, bytes });
          results[index] = answer;
          // Only what the answer carried: a batch of stale pushes republishes no more than one answer's bytes.
          if (answer.status === SyncStatus.CONFLICT) answeredConflicts.push(snapshotOfRow({ ...outcome.current, entityId: item.entityId, doc: bytes, deviceId: "" }));
          lease.put(item.entityId, outcome.current);
          break;
        }
        case "unchanged":
          // Already stored (a retry whose answer was lost): its version stands, nothing is written.
          results[index] = create(SyncResultSchema, {
            entityId: item.entityId,
            status: SyncStatus.SUCCESS,
            code: Code.OK,
            serverVersion: outcome.current.version,
            serverTime: BigInt(outcome.current.updatedAt),
            cursor: outcome.current.cursor,
          });
          lease.put(item.entityId, outcome.current);
          break;
        case "rejected":
          results[index] = errorResult(item.entityId, outcome.code, outcome.message);
          if (current && "doc" in current) lease.put(item.entityId, current);
          break;
        case "invalid":
          results[index] = errorResult(item.entityId, outcome.code, outcome.message);
          break;
        case "applied": {
          // `current.doc` went into outcome.doc; its stored size and chunks still describe the row.
          const stored = storedForm({ changes: item.changes, chunks: outcome.pushedChunks }, current, outcome.doc, this.limits.maxDocumentBytes);
          if (stored.storedBytes > this.limits.maxDocumentBytes) {
            A.free(outcome.doc);
            results[index] = errorResult(
              item.entityId,
              Code.INVALID_ARGUMENT,
              `the document would be ${stored.storedBytes} bytes; the relay keeps documents of at most ${this.limits.maxDocumentBytes}`,
            );
            break;
          }
          staged.push({ index, item, doc: outcome.doc, json: outcome.json, deleted: outcome.deleted, stored });
          break;
        }
        default:
          assertNever(outcome);
      }
    }
    if (staged.length > 0) await this.storeStaged(principal, staged, results, budget, lease, answeredConflicts);
    this.publishAgain(userId, principal.deviceId, answeredConflicts);
    return results;
  }

  /**
   * The versions a batch's conflict answers carried are published again (a retry whose answer
   * was lost is answered so: its base is the version before the one it made). The relay that
   * stored such a version may have lost its poke (its link to the other relays down, or killed
   * between its commit and the poke), and the retry may be the first the relays hear of it since;
   * the cursor check would bring it only when next due. A device that holds the version skips
   * it. Whole documents: published in parts of at most one answer's document bytes, as one frame
   * carries each part to a device.
   */
  private publishAgain(userId: string, deviceId: string, snapshots: EntitySnapshot[]): void {
    const most = answerBudget(this.limits);
    let part: EntitySnapshot[] = [];
    let bytes = 0;
    for (const snapshot of snapshots) {
      if (part.length > 0 && bytes + snapshot.data.length > most) {
        this.fanout.publish(userId, deviceId, part);
        part = [];
        bytes = 0;
      }
      part.push(snapshot);
      bytes += snapshot.data.length;
    }
    this.fanout.publish(userId, deviceId, part);
  }

  private async storeStaged(
    principal: Principal,
    staged: Staged[],
    results: SyncResult[],
    budget: AnswerBudget,
    lease: CacheLease,
    answeredConflicts: EntitySnapshot[],
  ): Promise<void> {
    const { userId, deviceId } = principal;
    let outcomes;
    try {
      outcomes = await this.store.writeBatch(
        userId,
        staged.map((s) => ({
          entityId: s.item.entityId,
          entityType: s.item.entityType,
          baseVersion: s.item.baseVersion,
          doc: s.stored.bytes,
          append: s.stored.append,
          data: s.json,
          deleted: s.deleted,
          deviceId,
        })),
      );
    } catch (err) {
      // Nothing was stored; the mutated documents must not be cached.
      for (const s of staged) A.free(s.doc);
      throw err;
    }
    const snapshots: EntitySnapshot[] = [];
    for (const [s, outcome] of pairOutcomes(staged, outcomes)) {
      if (outcome.kind === "stored") {
        lease.put(s.item.entityId, {
          entityType: s.item.entityType,
          doc: s.doc,
          version: outcome.version,
          cursor: outcome.cursor,
          updatedAt: outcome.updatedAt,
          savedBytes: s.stored.storedBytes,
          storedChunks: s.stored.storedChunks,
        });
        results[s.index] = create(SyncResultSchema, {
          entityId: s.item.entityId,
          status: SyncStatus.SUCCESS,
          code: Code.OK,
          serverVersion: outcome.version,
          serverTime: BigInt(outcome.updatedAt),
          cursor: outcome.cursor,
        });
        // Other devices get the pushed changes, not the whole document (see EntitySnapshot).
        snapshots.push(
          create(EntitySnapshotSchema, {
            entityType: s.item.entityType,
            entityId: s.item.entityId,
            changes: s.item.changes,
            baseVersion: s.item.baseVersion,
            version: outcome.version,
            serverTime: BigInt(outcome.updatedAt),
            cursor: outcome.cursor,
            deviceId,
          }),
        );
      } else {
        // Another relay process stored a version first: answer with what the store holds now.
        A.free(s.doc);
        const row = await this.store.get(userId, s.item.entityId);
        results[s.index] = row
          ? conflictWithin(budget, row.entityId, { bytes: row.doc, version: row.version, updatedAt: row.updatedAt, cursor: row.cursor })
          : errorResult(s.item.entityId, Code.UNAVAILABLE, "the entity changed while storing; retry");
        if (row && results[s.index]?.status === SyncStatus.CONFLICT) answeredConflicts.push(snapshotOfRow(row));
      }
    }
    this.fanout.publish(userId, deviceId, snapshots);
  }

  /**
   * Takes the document out of the cache, or reads its row from the store (the batch's rows are
   * read a group at a time, batch-rows.ts; applyChanges loads the row, with the pushed changes
   * when it can). Postgres is the only
   * authority on versions: other relay processes write the same rows, so a cached copy is used
   * only when it is on the version the device built on (the write's optimistic lock then checks
   * it against the row inside the transaction). On any other version the copy may be stale, and
   * the answer (conflict, or "from the future") must come from the row: it is dropped and read.
   */
  private async load(entityId: string, baseVersion: number, rows: BatchRows, lease: CacheLease): Promise<CachedDocument | StoredDocument | undefined> {
    const cached = lease.take(entityId);
    const usable = cached !== undefined && cached.version === baseVersion;
    this.observer?.cacheLookup(usable);
    if (usable) return cached;
    if (cached) A.free(cached.doc);
    const row = await rows.take(entityId);
    if (!row) return undefined;
    lease.hold(entityId, row.doc.length);
    return {
      entityType: row.entityType,
      bytes: row.doc,
      version: row.version,
      cursor: row.cursor,
      updatedAt: row.updatedAt,
      savedBytes: row.doc.length,
      // Bytes whose framing cannot be counted are compacted by the next update.
      storedChunks: countChunks(row.doc) ?? MAX_STORED_CHUNKS + 1,
    };
  }

  private serialised<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.userQueues.get(userId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.userQueues.set(userId, tail);
    void tail.then(() => {
      if (this.userQueues.get(userId) === tail) this.userQueues.delete(userId);
    });
    return next;
  }
}

/** A stored version as devices receive it, whole. `deviceId` is "" where the relay does not know whose push made it. */
export function snapshotOfRow(row: Pick<StoredEntity, "entityType" | "entityId" | "doc" | "version" | "updatedAt" | "cursor" | "deviceId">): EntitySnapshot {
  return create(EntitySnapshotSchema, {
    entityType: row.entityType,
    entityId: row.entityId,
    data: row.doc,
    version: row.version,
    serverTime: BigInt(row.updatedAt),
    cursor: row.cursor,
    deviceId: row.deviceId,
  });
}

/**
 * The entities of `page` that fit the answer's remaining byte budget (always the first, which
 * maxDocumentBytes keeps under a frame); a cut page ends at the last one kept and has more.
 */
function withinBudget(page: ChangesPage, after: bigint, budget: AnswerBudget): ChangesPage {
  let kept = 0;
  for (const entity of page.entities) {
    if (!budget.empty && entity.doc.length > budget.left) break;
    budget.left -= entity.doc.length;
    budget.empty = false;
    kept++;
  }
  if (kept === page.entities.length) return page;
  const entities = page.entities.slice(0, kept);
  return { entities, cursor: entities[entities.length - 1]?.cursor ?? after, hasMore: true };
}

interface AnswerBudget {
  /** Bytes of documents the answer may still carry. */
  left: number;
  /** Nothing is in the answer yet: its first document goes in whatever its size. */
  empty: boolean;
}

/** A conflict answer, or RESOURCE_EXHAUSTED (retry) when the answer has no room left for its document. */
function conflictWithin(budget: AnswerBudget, entityId: string, current: Parameters<typeof conflictResult>[1]): SyncResult {
  if (current.bytes.length > budget.left) {
    return errorResult(entityId, Code.RESOURCE_EXHAUSTED, "this answer is full of other conflicts' documents; push this item again");
  }
  budget.left -= current.bytes.length;
  return conflictResult(entityId, current);
}

/** A version conflict, answered with the relay's document and version. */
function conflictResult(
  entityId: string,
  current: { bytes: Uint8Array; version: number; updatedAt: number; cursor: bigint },
): SyncResult {
  return create(SyncResultSchema, {
    entityId,
    status: SyncStatus.CONFLICT,
    code: Code.ABORTED,
    serverData: current.bytes,
    serverVersion: current.version,
    serverTime: BigInt(current.updatedAt),
    cursor: current.cursor,
    errorMessage: "version conflict",
  });
}

function errorResult(entityId: string, code: Code, message: string): SyncResult {
  return create(SyncResultSchema, { entityId, status: SyncStatus.ERROR, code, errorMessage: message });
}
