// The relay keeps time only by the Clock it was started with: with a fake clock, the frame-rate
// limit refills, Welcome's server time and the exercise library's time stamps all follow the
// fake, whatever the real time does.
import * as A from "@automerge/automerge";
import { afterEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../../schema/protocol/frames.js";
import { Code } from "../../schema/status.js";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { FakeClock } from "../support/fake-clock.js";
import { RawRelaySocket, signIn } from "../support/raw-relay-socket.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function relayOn(clock: FakeClock, framesPerSecond = 200): Promise<Relay> {
  const db = await freshPgStore();
  const relay = await startTestRelay({ store: db.store, clock, limits: { framesPerSecond } });
  cleanups.push(() => db.close(), () => relay.close().catch(() => undefined));
  return relay;
}

async function connect(relay: Relay): Promise<RawRelaySocket> {
  const socket = await RawRelaySocket.hello(relay.syncUrl, "user-1", "device-a");
  cleanups.push(() => socket.close());
  return socket;
}

/** A pull's answer: "ok", or the error code and retry hint. */
async function pull(socket: RawRelaySocket): Promise<"ok" | { code: Code; retryAfterMs: number }> {
  const reply = await socket.request({ case: "pull", value: { cursor: 0n, limit: 1 } });
  if (reply.body.case === "pull") return "ok";
  if (reply.body.case === "error") return { code: reply.body.value.code, retryAfterMs: reply.body.value.retryAfterMs };
  throw new Error(`a pull answered with ${reply.body.case}`);
}

describe("the relay's time is its Clock's", () => {
  it("the per-connection frame-rate limit refills only when the relay's clock moves", async () => {
    const clock = new FakeClock();
    const socket = await connect(await relayOn(clock, 4)); // Hello took the first of 4 tokens
    for (let i = 0; i < 3; i++) expect(await pull(socket)).toBe("ok");

    // The bucket is empty: exactly one token's worth of the fake's time is asked for.
    expect(await pull(socket)).toEqual({ code: Code.RESOURCE_EXHAUSTED, retryAfterMs: 250 });
    // Real time went by during those round trips; the fake's did not, so nothing refilled.
    expect(await pull(socket)).toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    clock.advance(249);
    expect(await pull(socket)).toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
    clock.advance(1);
    expect(await pull(socket)).toBe("ok");

    clock.advance(60_000); // a long pause refills the bucket to its size, not beyond
    for (let i = 0; i < 4; i++) expect(await pull(socket)).toBe("ok");
    expect(await pull(socket)).toMatchObject({ code: Code.RESOURCE_EXHAUSTED });
  });

  it("Welcome carries the relay clock's time", async () => {
    const clock = new FakeClock(Date.UTC(2031, 4, 6, 7, 8, 9));
    const relay = await relayOn(clock);
    const { accessToken } = await signIn(relay.syncUrl, "user-1", "device-a");
    const socket = await RawRelaySocket.connect(relay.syncUrl);
    cleanups.push(() => socket.close());
    const reply = await socket.request({ case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken } });
    expect(reply.body.case).toBe("welcome");
    if (reply.body.case === "welcome") expect(reply.body.value.serverTime).toBe(BigInt(Date.UTC(2031, 4, 6, 7, 8, 9)));
  });

  it("an exercise library entry is stamped with the relay clock's time", async () => {
    const clock = new FakeClock(Date.UTC(2031, 0, 2));
    const relay = await relayOn(clock);
    const squat = { key: "back-squat", definition: { name: "Back Squat", muscleGroups: ["quads"], equipment: "barbell", description: "" } };
    expect(await relay.publishExerciseLibrary([squat])).toBe(1);
    clock.advance(5_000);
    expect(await relay.publishExerciseLibrary([{ ...squat, definition: { ...squat.definition, muscleGroups: ["quads", "glutes"] } }])).toBe(1);

    const socket = await connect(relay);
    const reply = await socket.request({ case: "pull", value: { cursor: 0n, limit: 10 } });
    if (reply.body.case !== "pull") throw new Error(`pull answered with ${reply.body.case}`);
    const [entry] = reply.body.value.entities;
    const doc = A.load<{ createdAt: number; updatedAt: number }>(entry!.data);
    expect({ createdAt: doc.createdAt, updatedAt: doc.updatedAt }).toEqual({ createdAt: Date.UTC(2031, 0, 2), updatedAt: Date.UTC(2031, 0, 2) + 5_000 });
  });
});
