// Only you can read and write your workouts: two people with two devices each, and every kind of
// token an attacker could bring (valid for themself, expired, unsigned, signed another way, for
// another audience or issuer, a refresh token, tampered, for a revoked device, none), against
// every operation (connect, push own and foreign ids, pull, receive fan-out, answer a foreign
// conflict). Counted: reads and writes across people (must be 0) and denials without a typed
// code (must be 0).
import * as A from "@automerge/automerge";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { AuthApi, type AuthSession } from "../../client/core/index.js";
import { Operation, PROTOCOL_VERSION, SyncStatus } from "../../schema/protocol/frames.js";
import { Code } from "../../schema/status.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore, type PgStoreFixture } from "../support/databases.js";
import { workout } from "../support/devices.js";
import { RawRelaySocket, entityDoc, idFor } from "../support/raw-relay-socket.js";
import type { Relay } from "../../relay/server.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SECRET = new Uint8Array(32).fill(7);

interface Person {
  phone: AuthSession;
  tablet: AuthSession;
  workoutId: string;
}

async function setup(): Promise<{ relay: Relay; db: PgStoreFixture; ada: Person; grace: Person }> {
  const db = await freshPgStore();
  const relay = await startTestRelay({ store: db.store, auth: { secret: SECRET } });
  cleanups.push(() => db.close(), () => relay.close().catch(() => undefined));
  const api = new AuthApi(relay.url);
  const person = async (name: string): Promise<Person> => {
    const account = testAccount(name);
    const phone = await api.signUp({ ...account, deviceName: `${name}'s phone`, deviceId: `${name}-phone` });
    const tablet = await api.signIn({ ...account, deviceName: `${name}'s tablet`, deviceId: `${name}-tablet` });
    const socket = await hello(relay, phone.accessToken);
    const { item } = create(`${name}-workout`);
    const reply = await socket.request({ case: "sync", value: { items: [item] } });
    if (reply.body.case !== "sync" || reply.body.value.results[0]?.status !== SyncStatus.SUCCESS) throw new Error(`${name}'s workout was not stored`);
    socket.close();
    return { phone, tablet, workoutId: item.entityId };
  };
  return { relay, db, ada: await person("ada"), grace: await person("grace") };
}

function create(label: string) {
  const id = idFor(label);
  const doc = entityDoc("workout", id, workout(label, [{ name: "Squat", sets: [[5, 100]] }]));
  return { doc, item: { entityType: "workout", entityId: id, operation: Operation.CREATE, data: A.save(doc), version: 0 } };
}

async function hello(relay: Relay, accessToken: string): Promise<RawRelaySocket> {
  const socket = await RawRelaySocket.connect(relay.syncUrl);
  cleanups.push(() => socket.close());
  const reply = await socket.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken } });
  if (reply.body.case !== "welcome") throw Object.assign(new Error("hello refused"), { reply });
  return socket;
}

/** A token signed with the relay's own secret (as a leaked secret would allow), with these claims. */
async function forged(claims: Record<string, unknown>, options: { alg?: string; exp?: number; aud?: string; iss?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? "HS256" })
    .setIssuer(options.iss ?? "ironflow-relay")
    .setAudience(options.aud ?? "ironflow-sync")
    .setIssuedAt(now - 60)
    .setExpirationTime(options.exp ?? now + 600)
    .sign(SECRET);
}

function unsigned(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ iss: "ironflow-relay", aud: "ironflow-sync", exp: Math.floor(Date.now() / 1000) + 600, ...claims })}.`;
}

function tampered(token: string, claims: Record<string, unknown>): string {
  const [header, payload, signature] = token.split(".");
  const decoded = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>;
  return `${header}.${Buffer.from(JSON.stringify({ ...decoded, ...claims })).toString("base64url")}.${signature}`;
}

describe("the authorization matrix", () => {
  it("no token an attacker can bring reads or writes another person's data, and every denial is typed", async () => {
    const { relay, db, ada, grace } = await setup();
    const adaUser = ada.phone.userId;
    const adaRow = async () => {
      const row = await db.store.get(adaUser, ada.workoutId);
      return row && { version: row.version, data: JSON.stringify(row.data) };
    };
    const before = await adaRow();

    // Ada's tablet is revoked (by her phone) before the attempts.
    await new AuthApi(relay.url).revokeDevice(ada.phone.accessToken, "ada-tablet");

    const tokens: Record<string, string> = {
      "expired (Ada's, signed right)": await forged({ sub: adaUser, did: "ada-phone", typ: "access" }, { exp: Math.floor(Date.now() / 1000) - 60 }),
      "alg none": unsigned({ sub: adaUser, did: "ada-phone", typ: "access" }),
      "another algorithm (HS512, same secret)": await forged({ sub: adaUser, did: "ada-phone", typ: "access" }, { alg: "HS512" }),
      "wrong audience": await forged({ sub: adaUser, did: "ada-phone", typ: "access" }, { aud: "someone-else" }),
      "wrong issuer": await forged({ sub: adaUser, did: "ada-phone", typ: "access" }, { iss: "evil-relay" }),
      "a refresh token used as access": ada.phone.refreshToken,
      "refresh type in a signed JWT": await forged({ sub: adaUser, did: "ada-phone", typ: "refresh" }),
      "tampered (Grace's, made Ada's)": tampered(grace.phone.accessToken, { sub: adaUser, did: "ada-phone" }),
      "revoked device (Ada's tablet)": ada.tablet.accessToken,
      missing: "",
    };
    const denials: { token: string; code: number | undefined }[] = [];
    for (const [name, token] of Object.entries(tokens)) {
      const socket = await RawRelaySocket.connect(relay.syncUrl);
      cleanups.push(() => socket.close());
      const reply = await socket.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken: token, userId: adaUser } });
      denials.push({ token: name, code: reply.body.case === "error" ? reply.body.value.code : undefined });
      await socket.closedPromise;
    }
    expect(denials).toEqual(Object.keys(tokens).map((token) => ({ token, code: Code.UNAUTHENTICATED })));

    // Grace's own valid token: her data works, Ada's is exactly like data that does not exist.
    const graceSocket = await hello(relay, grace.phone.accessToken);
    const seenByGrace: string[] = [];
    const adaPhone = await hello(relay, ada.phone.accessToken);
    const foreignUpdate = { entityType: "workout", entityId: ada.workoutId, operation: Operation.UPDATE, data: A.save(entityDoc("workout", ada.workoutId, workout("Mine now", []))), version: 1 };
    const missingUpdate = { ...foreignUpdate, entityId: idFor("never-stored") };
    const push = await graceSocket.request({ case: "sync", value: { items: [foreignUpdate, missingUpdate] } });
    expect(push.body.case).toBe("sync");
    const [foreign, missing] = push.body.case === "sync" ? push.body.value.results : [];
    expect({ ...foreign, entityId: "" }).toEqual({ ...missing, entityId: "" }); // indistinguishable from a missing id
    expect(foreign).toMatchObject({ status: SyncStatus.ERROR, code: Code.FAILED_PRECONDITION, serverData: new Uint8Array() });
    // A version matching Ada's: still no conflict answer carrying her document.
    const conflictBait = await graceSocket.request({ case: "sync", value: { items: [{ ...foreignUpdate, version: 2 }] } });
    expect(conflictBait.body.case === "sync" && conflictBait.body.value.results[0]?.serverData.length).toBe(0);
    // Naming Ada in the request is refused.
    const named = await graceSocket.request({ case: "sync", value: { userId: adaUser, items: [create("grace-2").item] } });
    expect(named.body).toMatchObject({ case: "error", value: { code: Code.PERMISSION_DENIED } });
    // Grace's pull holds only her own; Ada's fan-out never reaches her.
    const pull = await graceSocket.request({ case: "pull", value: { cursor: 0n } });
    const pulled = pull.body.case === "pull" ? pull.body.value.entities.filter((e) => e.entityType !== "exercise_definition").map((e) => e.entityId) : [];
    seenByGrace.push(...pulled.filter((id) => id !== grace.workoutId));
    const adaEdit = create("ada-second");
    await adaPhone.request({ case: "sync", value: { items: [adaEdit.item] } });
    const graceAfter = await graceSocket.request({ case: "pull", value: { cursor: 0n } });
    seenByGrace.push(...(graceAfter.body.case === "pull" ? graceAfter.body.value.entities.map((e) => e.entityId).filter((id) => id === ada.workoutId || id === adaEdit.item.entityId) : []));
    seenByGrace.push(...graceSocket.unasked().flatMap((r) => (r.body.case === "changes" ? r.body.value.entities.map((e) => e.entityId) : [])));

    const crossReads = seenByGrace.length;
    const crossWrites = JSON.stringify(await adaRow()) === JSON.stringify(before) ? 0 : 1;
    expect({ crossReads, crossWrites }).toEqual({ crossReads: 0, crossWrites: 0 });
  });
});

describe("the exercise library's ids", () => {
  it("cannot be taken by a person's entity (devices would see one document with two histories)", async () => {
    const { relay } = await setup();
    await relay.publishExerciseLibrary([{ key: "back-squat", definition: { name: "Back Squat", muscleGroups: ["quads"], equipment: "barbell", description: "" } }]);
    const socket = await RawRelaySocket.hello(relay.syncUrl, "mallory", "mallory-phone");
    cleanups.push(() => socket.close());
    const pull = await socket.request({ case: "pull", value: { cursor: 0n } });
    const libraryId = pull.body.case === "pull" ? pull.body.value.entities.find((e) => e.entityType === "exercise_definition")?.entityId : undefined;
    expect(libraryId).toBeDefined();
    const squat = { ...create("x").item, entityId: libraryId!, data: A.save(entityDoc("workout", libraryId!, workout("Mine", []))) };
    const reply = await socket.request({ case: "sync", value: { items: [squat] } });
    expect(reply.body.case === "sync" && reply.body.value.results[0]).toMatchObject({ status: SyncStatus.ERROR, code: Code.PERMISSION_DENIED });
  });
});
