// The accounts contract: what the relay's /auth endpoints take and give, shared by the relay
// (which validates) and the device (which sends). Errors are `{ code, message }` with the
// protocol's code names (schema/status.ts), on an HTTP status that says the same.
// Specification: docs/accounts.md
import { z } from "zod";
import { deviceIdSchema } from "./identity.js";

export const emailSchema = z.string().trim().toLowerCase().pipe(z.email("enter an email address").max(254));
export const passwordSchema = z.string().min(8, "a password has 8 characters or more").max(200, "a password has at most 200 characters");
/** The name the person gives a device, shown in conflict labels and the device list. */
export const deviceNameSchema = z
  .string()
  .trim()
  .min(1, "name this device")
  .max(100, "a device name has at most 100 characters")
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  .refine((name) => !/[\u0000-\u001f\u007f]/.test(name), "a device name cannot hold control characters");

/** POST /auth/signup and POST /auth/signin. `deviceId`: the device's own id, kept when it is free. */
export const credentialsRequestSchema = z
  .object({ email: emailSchema, password: passwordSchema, deviceName: deviceNameSchema, deviceId: deviceIdSchema.optional() })
  .strict();
export type CredentialsRequest = z.input<typeof credentialsRequestSchema>;

/** POST /auth/refresh and POST /auth/signout. */
export const refreshRequestSchema = z.object({ refreshToken: z.string().min(1).max(512) }).strict();

/** What signup, signin and refresh give: the access token lives `expiresIn` seconds. */
export interface AuthSession {
  userId: string;
  deviceId: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** GET /auth/devices. */
export interface DeviceInfo {
  deviceId: string;
  name: string;
  createdAt: number;
  lastSeenAt: number;
  revoked: boolean;
  /** The device asking. */
  current: boolean;
}

export interface AuthErrorBody {
  code: string;
  message: string;
}
