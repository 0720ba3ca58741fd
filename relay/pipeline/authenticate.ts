// The ONE place where the relay decides who a connection's user is. Until accounts exist the
// device names its user in Hello; the accounts issue replaces this function's body with token
// verification and nothing else changes.
import { z } from "zod";
import { Code, SyncError } from "../../schema/status.js";
import type { Hello } from "../../schema/protocol/frames.js";

export interface Principal {
  userId: string;
  deviceId: string;
  deviceName: string;
}

const idSchema = z.string().regex(/^[A-Za-z0-9_.:@-]{1,128}$/);

export function authenticate(hello: Hello): Principal {
  const user = idSchema.safeParse(hello.userId);
  const device = idSchema.safeParse(hello.deviceId);
  if (!user.success) throw new SyncError(Code.UNAUTHENTICATED, "hello must name a user id (1-128 url-safe characters)");
  if (!device.success) throw new SyncError(Code.UNAUTHENTICATED, "hello must name a device id (1-128 url-safe characters)");
  return { userId: user.data, deviceId: device.data, deviceName: hello.deviceName.slice(0, 100) || device.data };
}
