// Settling a concurrent change: merge the relay's document into this device's, make the result
// what the strategy (or the person) chose, record what was lost inside the document (so every
// device of the person sees it), and queue the result to push on the relay's version at once. A
// choice made against a version that has since moved on meets a CONFLICT again at the relay and
// is checked again, never forced over the newer change.
// Specification: docs/conflicts.md
import * as A from "@automerge/automerge";
import type { EntityDocument } from "../../../schema/entities.js";
import type { ResolutionKind } from "../../../schema/protocol/frames.js";
import { Code, SyncError } from "../../../schema/status.js";
import type { EntityStore } from "../entities/entity-store.js";
import { requireKnownVersion, upgradeDocument, versionSince } from "../../../schema/document-version.js";
import { plainJson } from "../../../schema/plain-json.js";
import type { ConflictRecord } from "../queue/queue-item.js";
import type { SyncQueue } from "../queue/sync-queue.js";
import type { BlobStore } from "../storage/record-store.js";
import type { ResolutionTally } from "./resolution-tally.js";
import { applyChoice, asksPerson, settleAutomatically, type ConflictChoice, type Settlement, type Sides } from "./plan-resolution.js";

export interface ServerVersion {
  bytes: Uint8Array;
  version: number;
  serverTime: number;
}

export class ConflictSettler {
  constructor(
    private readonly entities: EntityStore,
    private readonly queue: SyncQueue,
    private readonly conflictDocs: BlobStore,
    private readonly tally: ResolutionTally,
    private readonly now: () => number,
  ) {}

  /** Returns true when the person must choose (a conflict record was kept). */
  async concurrent(id: string, server: ServerVersion): Promise<boolean> {
    const record = this.entities.record(id);
    if (!record) throw new SyncError(Code.NOT_FOUND, `no entity ${id} on this device`);
    const { json: serverJson, heads: serverHeads } = readDocument(server.bytes);
    const local = await this.entities.json(id);
    const base = await this.entities.jsonAt(id, record.syncedHeads);
    if (asksPerson({ base, local, server: serverJson })) {
      await this.keepBoth(id, server, serverJson, serverHeads, local);
      return true;
    }
    await this.settle(id, server, serverJson, serverHeads, (sides, merged) => settleAutomatically(sides, merged));
    return false;
  }

  /**
   * The person's choice for a kept conflict. `seenServerVersion`: the relay's version the person
   * was shown. A newer one replaces the kept conflict as it arrives (another device wrote again),
   * so a choice made on the screen as it was would drop what the person never saw: refused
   * (FAILED_PRECONDITION), to be made again on what is there now.
   */
  async choose(id: string, choice: ConflictChoice, seenServerVersion?: number): Promise<void> {
    const item = this.queue.get(id);
    const conflict = item?.conflict;
    const bytes = await this.conflictDocs.load(id);
    if (!item || item.status !== "conflict" || !conflict || !bytes) {
      throw new SyncError(Code.FAILED_PRECONDITION, `entity ${id} has no open conflict`);
    }
    if (seenServerVersion !== undefined && seenServerVersion !== conflict.serverVersion) {
      throw new SyncError(
        Code.FAILED_PRECONDITION,
        `the other device's version changed while it was shown (version ${seenServerVersion}, now ${conflict.serverVersion}): look at both again`,
      );
    }
    const server = { bytes, version: conflict.serverVersion, serverTime: conflict.serverTime ?? 0 };
    const { json, heads } = readDocument(bytes);
    await this.settle(id, server, json, heads, (sides, merged) => {
      const settled = applyChoice(choice, sides, merged);
      // The choice is the person's own write, made now on the relay's version.
      this.entities.stamp(settled.target, server.version);
      return settled;
    });
    await this.conflictDocs.remove(id);
  }

  private async settle(
    id: string,
    server: ServerVersion,
    serverJson: EntityDocument,
    serverHeads: string[],
    decide: (sides: Sides, merged: EntityDocument) => Settlement,
  ): Promise<void> {
    let kind: ResolutionKind | undefined;
    const { record } = await this.entities.mergeAndSettle(id, server.bytes, ({ base, local, merged }) => {
      const settled = decide({ base, local, server: serverJson }, merged);
      kind = settled.kind;
      this.entities.addResolutions(settled.target, settled.records);
      return settled.target;
    });
    await this.entities.putRecord({ ...record, serverVersion: server.version, syncedHeads: serverHeads, serverTime: server.serverTime });
    // New work: pushed at once, not when an old retry timer comes due.
    await this.queue.markPending(id, record.type, server.version, this.now());
    if (kind !== undefined) this.tally.record(record.type, kind);
  }

  private async keepBoth(id: string, server: ServerVersion, serverJson: EntityDocument, serverHeads: string[], local: EntityDocument): Promise<void> {
    await this.conflictDocs.save(id, server.bytes);
    const conflict: ConflictRecord = {
      serverVersion: server.version,
      serverHeads,
      serverTime: server.serverTime,
      serverDeviceId: serverJson.deviceId,
      serverDeviceName: serverJson.deviceName,
      serverChangedAt: serverJson.updatedAt,
      serverData: serverJson,
      localData: local,
      localHeads: await this.entities.heads(id),
      detectedAt: this.now(),
    };
    await this.queue.update(id, { status: "conflict", conflict });
  }
}

/**
 * The relay's document as JSON (upgraded to this build's schema) and its heads; the loaded
 * document is freed at once. SchemaTooNew for a document of a newer schema.
 */
export function readDocument(bytes: Uint8Array): { json: EntityDocument; heads: string[] } {
  const doc = A.load<EntityDocument>(bytes);
  try {
    requireKnownVersion(versionSince(doc));
    return { json: upgradeDocument(plainJson<EntityDocument>(doc)), heads: A.getHeads(doc) };
  } finally {
    A.free(doc);
  }
}
