// The relay's /auth endpoints, from a device: plain fetch (the browser's, or Node's), JSON both
// ways, every refusal a SyncError with the code the relay named.
// Specification: docs/accounts.md
import type { AuthErrorBody, AuthSession, CredentialsRequest, DeviceInfo } from "../../../schema/accounts.js";
import { Code, SyncError } from "../../../schema/status.js";

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}>;

export class AuthApi {
  /** `baseUrl`: the relay's http(s) origin, e.g. http://127.0.0.1:8080. */
  constructor(
    readonly baseUrl: string,
    private readonly fetch: Fetch = (url, init) => globalThis.fetch(url, init),
  ) {}

  signUp(request: CredentialsRequest): Promise<AuthSession> {
    return this.call("POST", "/auth/signup", request) as Promise<AuthSession>;
  }

  signIn(request: CredentialsRequest): Promise<AuthSession> {
    return this.call("POST", "/auth/signin", request) as Promise<AuthSession>;
  }

  refresh(refreshToken: string): Promise<AuthSession> {
    return this.call("POST", "/auth/refresh", { refreshToken }) as Promise<AuthSession>;
  }

  async signOut(refreshToken: string): Promise<void> {
    await this.call("POST", "/auth/signout", { refreshToken });
  }

  async devices(accessToken: string): Promise<DeviceInfo[]> {
    return ((await this.call("GET", "/auth/devices", undefined, accessToken)) as { devices: DeviceInfo[] }).devices;
  }

  async revokeDevice(accessToken: string, deviceId: string): Promise<void> {
    await this.call("DELETE", `/auth/devices/${encodeURIComponent(deviceId)}`, undefined, accessToken);
  }

  private async call(method: string, path: string, body?: unknown, accessToken?: string): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (accessToken) headers["authorization"] = `Bearer ${accessToken}`;
    let response: Awaited<ReturnType<Fetch>>;
    try {
      response = await this.fetch(new URL(path, this.baseUrl).toString(), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (err) {
      throw new SyncError(Code.UNAVAILABLE, `cannot reach the relay: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (response.status === 204) return undefined;
    const json: unknown = await response.json().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return json;
    const error = (json ?? {}) as Partial<AuthErrorBody>;
    const code = typeof error.code === "string" && error.code in Code ? Code[error.code as keyof typeof Code] : response.status >= 500 ? Code.UNAVAILABLE : Code.INTERNAL;
    const retryAfter = Number(response.headers.get("retry-after") ?? 0) * 1000;
    throw new SyncError(code, typeof error.message === "string" ? error.message : `the relay answered ${response.status}`, retryAfter);
  }
}
