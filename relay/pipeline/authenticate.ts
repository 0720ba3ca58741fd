// The ONE place where the relay decides who a connection's user is. Until accounts exist the
// device names its user in Hello; the accounts issue replaces this function's body with token
// verification and nothing else changes.
// Specification: docs/relay.md
import { deviceIdSchema, userIdSchema } from "../../schema/identity.js";
import { Code, SyncError } from "../../schema/status.js";
import type { Hello } from "../../schema/protocol/frames.js";

export interface Principal {
  userId: string;
  deviceId: string;
  deviceName: string;
}

export function authenticate(hello: Hello): Principal {
  const user = userIdSchema.safeParse(hello.userId);
  const device = deviceIdSchema.safeParse(hello.deviceId);
  if (!user.success) throw new SyncError(Code.UNAUTHENTICATED, `hello must name a user id: ${user.error.issues[0]?.message}`);
  if (!device.success) throw new SyncError(Code.UNAUTHENTICATED, `hello must name a device id: ${device.error.issues[0]?.message}`);
  return { userId: user.data, deviceId: device.data, deviceName: hello.deviceName.slice(0, 100) || device.data };
}
