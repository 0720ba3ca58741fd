// A lightweight device for load benches: the device's own protocol code (RelaySession over
// webSocketTransport on `ws`: Hello with an access token from the relay's /auth endpoints,
// SyncRequest, Pull, the relay's unasked ChangesAvailable) with no store, queue or Automerge Repo
// behind it. Its workouts are Automerge documents built as our entity store builds them
// (workload.ts's workoutDocument), pushed as a create with their whole history, as the sync
// engine pushes a new entity. What the relay fans out to it is counted by entity id, not applied:
// a device's own work is not what a relay bench measures, and a hundred real devices in the bench's
// process made setting up a run take minutes on this machine.
import * as A from "@automerge/automerge";
import { generateAutomergeUrl, parseAutomergeUrl, type DocumentId } from "@automerge/automerge-repo";
import WebSocket from "ws";
import { AuthApi, Code, SyncError, systemTimers, webSocketTransport, type AuthSession } from "../../client/core/index.js";
import { httpOrigin } from "../../client/node/open-node-client.js";
import { RelaySession, type SyncItemInit } from "../../client/core/transport/relay-session.js";
import { Operation, SyncStatus, type SyncResult } from "../../schema/protocol/frames.js";
import { benchAccount } from "./account.js";
import { workoutDocument } from "../workload.js";

export interface ProtocolDevice {
  readonly name: string;
  readonly session: AuthSession;
  /** Entity ids the relay pushed to this device unasked (fan-out), each counted once. */
  readonly received: ReadonlySet<string>;
  /** Told after each fan-out frame. */
  onReceived(listener: () => void): void;
  /** Pushes the items in one SyncRequest; resolves with the relay's results. */
  push(items: SyncItemInit[]): Promise<SyncResult[]>;
  /** Pulls from the device's cursor once (as a sync run ends), and moves the cursor on. */
  pull(): Promise<number>;
  /** Closes the connection (resolves at once; for Cleanup). */
  close(): Promise<void>;
}

/** Signs `name` in to `person`'s account over HTTP: signs the person up if `first`, else signs in. */
export async function signInDevice(syncUrl: string, person: string, name: string, first: boolean): Promise<AuthSession> {
  const api = new AuthApi(httpOrigin(syncUrl));
  const request = { ...benchAccount(person), deviceName: name };
  if (!first) return api.signIn(request);
  try {
    return await api.signUp(request);
  } catch (err) {
    if (err instanceof SyncError && err.code === Code.ALREADY_EXISTS) return api.signIn(request);
    throw err;
  }
}

/** Connects and says Hello with the session's token; the connection stays open for fan-out. */
export async function connectDevice(syncUrl: string, name: string, session: AuthSession, timeoutMs: number): Promise<ProtocolDevice> {
  const received = new Set<string>();
  const listeners: (() => void)[] = [];
  let closedReason: string | undefined;
  const relay = await RelaySession.open({
    transport: webSocketTransport(syncUrl, (url) => new WebSocket(url)),
    identity: { userId: session.userId, deviceId: session.deviceId, deviceName: name },
    accessToken: session.accessToken,
    timers: systemTimers,
    timeoutMs,
    onChanges: (entities) => {
      for (const entity of entities) received.add(entity.entityId);
      for (const listener of listeners) listener();
    },
    onClosed: (reason) => {
      closedReason = reason;
    },
  });
  let cursor = 0n;
  let catalogCursor = 0n;
  return {
    name,
    session,
    received,
    onReceived: (listener) => listeners.push(listener),
    push: (items) => {
      if (closedReason !== undefined) return Promise.reject(new Error(`${name}: connection closed: ${closedReason}`));
      return relay.sync(items);
    },
    async pull() {
      const page = await relay.pull(cursor, catalogCursor);
      cursor = page.cursor;
      catalogCursor = page.catalogCursor;
      return page.entities.length;
    },
    close: () => {
      relay.close();
      return Promise.resolve();
    },
  };
}

/** A new workout as a device creates it: its whole history, version 0, a CREATE. */
export function workoutCreate(i: number, deviceId: string, deviceName: string, now: number): SyncItemInit {
  const id: DocumentId = parseAutomergeUrl(generateAutomergeUrl()).documentId;
  const doc = A.from(workoutDocument(i, id, deviceId, deviceName, now));
  const data = A.save(doc);
  A.free(doc);
  return { entityType: "workout", entityId: id, operation: Operation.CREATE, data, version: 0, timestamp: BigInt(now) };
}

/** How many results are SUCCESS; the first other one, as text, for the error message. */
export function acknowledged(results: SyncResult[]): { ok: number; firstFailure: string | undefined } {
  const failed = results.find((r) => r.status !== SyncStatus.SUCCESS);
  return {
    ok: results.filter((r) => r.status === SyncStatus.SUCCESS).length,
    firstFailure: failed ? `${SyncStatus[failed.status]} ${failed.code}: ${failed.errorMessage}` : undefined,
  };
}
