// Frame encoding: a 4-byte big-endian request id, then one protobuf message. Decoding happens
// here, at the edge, so handlers only ever see typed values or a SyncError.
// Specification: docs/sync-protocol.md
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, SyncError } from "../status.js";
import {
  DeviceFrameSchema,
  RelayFrameSchema,
  type DeviceFrame,
  type RelayFrame,
} from "./sync_pb.js";

export * from "./sync_pb.js";

/**
 * Bump on any change of sync.proto's definitions, and write the change in its history;
 * test/schema/protocol-version.test.ts fails until both are done and the new hash is recorded.
 */
export const PROTOCOL_VERSION = 5;
/**
 * The oldest version this code still speaks, so old and new apps sync side by side: 1, since
 * versions 3 to 5 only added optional fields that older peers ignore.
 */
export const MIN_PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 4;

/**
 * The version a connection speaks: the newest both sides accept, or undefined when their ranges
 * do not meet. A `min` of 0 means "only `max`" (a version 1 Hello has no minimum).
 */
export function negotiateVersion(device: { min: number; max: number }, relay: { min: number; max: number }): number | undefined {
  const deviceMin = device.min === 0 ? device.max : device.min;
  const chosen = Math.min(device.max, relay.max);
  return chosen >= Math.max(deviceMin, relay.min) ? chosen : undefined;
}


export interface Decoded<T> {
  requestId: number;
  body: T;
}

function withHeader(requestId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, requestId >>> 0, false);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Reads the request id even when the body turns out to be malformed; 0 for a short frame. */
export function readRequestId(frame: Uint8Array): number {
  if (frame.length < HEADER_BYTES) return 0;
  return new DataView(frame.buffer, frame.byteOffset, HEADER_BYTES).getUint32(0, false);
}

export type DeviceBodyInit = NonNullable<MessageInitShape<typeof DeviceFrameSchema>["body"]>;
export type RelayBodyInit = NonNullable<MessageInitShape<typeof RelayFrameSchema>["body"]>;

export function encodeDeviceFrame(requestId: number, body: DeviceBodyInit): Uint8Array {
  return withHeader(requestId, toBinary(DeviceFrameSchema, create(DeviceFrameSchema, { body })));
}

export function encodeRelayFrame(requestId: number, body: RelayBodyInit): Uint8Array {
  return withHeader(requestId, toBinary(RelayFrameSchema, create(RelayFrameSchema, { body })));
}

/** Throws SyncError(INVALID_ARGUMENT) for a frame that is not a DeviceFrame with a body. */
export function decodeDeviceFrame(frame: Uint8Array): Decoded<Exclude<DeviceFrame["body"], { case: undefined }>> {
  if (frame.length < HEADER_BYTES) throw new SyncError(Code.INVALID_ARGUMENT, "frame shorter than its header");
  let message: DeviceFrame;
  try {
    message = fromBinary(DeviceFrameSchema, frame.subarray(HEADER_BYTES));
  } catch (err) {
    throw new SyncError(Code.INVALID_ARGUMENT, `malformed frame: ${(err as Error).message}`);
  }
  if (message.body.case === undefined) {
    // A well-formed frame of a kind this build does not know (a field it cannot name) is a newer
    // peer's, not garbage: the .proto answers it UNIMPLEMENTED.
    if ((message.$unknown?.length ?? 0) > 0) throw new SyncError(Code.UNIMPLEMENTED, "unknown frame kind: this relay does not implement it");
    throw new SyncError(Code.INVALID_ARGUMENT, "frame has no body");
  }
  return { requestId: readRequestId(frame), body: message.body };
}

export function decodeRelayFrame(frame: Uint8Array): Decoded<Exclude<RelayFrame["body"], { case: undefined }>> {
  if (frame.length < HEADER_BYTES) throw new SyncError(Code.INVALID_ARGUMENT, "frame shorter than its header");
  let message: RelayFrame;
  try {
    message = fromBinary(RelayFrameSchema, frame.subarray(HEADER_BYTES));
  } catch (err) {
    throw new SyncError(Code.INVALID_ARGUMENT, `malformed frame: ${(err as Error).message}`);
  }
  if (message.body.case === undefined) throw new SyncError(Code.INVALID_ARGUMENT, "frame has no body");
  return { requestId: readRequestId(frame), body: message.body };
}
