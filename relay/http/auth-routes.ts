// The /auth endpoints: JSON in, JSON out, every error `{ code, message }` with the protocol's code
// names on the HTTP status that says the same.
// Specification: docs/accounts.md
import type { IncomingMessage, ServerResponse } from "node:http";
import { Code, SyncError, codeName } from "../../schema/status.js";
import type { AccountService } from "../auth/account-service.js";

const MAX_BODY_BYTES = 16 * 1024;

const HTTP_STATUS: Partial<Record<Code, number>> = {
  [Code.INVALID_ARGUMENT]: 400,
  [Code.UNAUTHENTICATED]: 401,
  [Code.PERMISSION_DENIED]: 403,
  [Code.NOT_FOUND]: 404,
  [Code.ALREADY_EXISTS]: 409,
  [Code.RESOURCE_EXHAUSTED]: 429,
  [Code.UNAVAILABLE]: 503,
};

/** Handles the request if it is one of /auth's; false otherwise. */
export async function handleAuth(accounts: AccountService, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://relay");
  if (!url.pathname.startsWith("/auth/")) return false;
  const address = req.socket.remoteAddress ?? "unknown";
  try {
    const route = `${req.method ?? "GET"} ${url.pathname}`;
    if (route === "POST /auth/signup") reply(res, 201, await accounts.signup(await readJson(req), address));
    else if (route === "POST /auth/signin") reply(res, 200, await accounts.signin(await readJson(req), address));
    else if (route === "POST /auth/refresh") reply(res, 200, await accounts.refresh(await readJson(req)));
    else if (route === "POST /auth/signout") {
      await accounts.signout(await readJson(req));
      res.writeHead(204).end();
    } else if (route === "GET /auth/devices") reply(res, 200, { devices: await accounts.devices(bearer(req)) });
    else if (req.method === "DELETE" && url.pathname.startsWith("/auth/devices/")) {
      await accounts.revokeDevice(bearer(req), decodeURIComponent(url.pathname.slice("/auth/devices/".length)));
      res.writeHead(204).end();
    } else throw new SyncError(Code.NOT_FOUND, `no ${route}`);
  } catch (err) {
    const error = err instanceof SyncError ? err : new SyncError(Code.INTERNAL, "the relay failed to answer");
    const headers: Record<string, string> = {};
    if (error.retryAfterMs > 0) headers["retry-after"] = String(Math.ceil(error.retryAfterMs / 1000));
    reply(res, HTTP_STATUS[error.code] ?? 500, { code: codeName(error.code), message: error.detail }, headers);
  }
  return true;
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

function bearer(req: IncomingMessage): string {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer (\S+)$/.exec(header);
  if (!match?.[1]) throw new SyncError(Code.UNAUTHENTICATED, "send the access token as Authorization: Bearer <token>");
  return match[1];
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/.test(req.headers["content-type"] ?? "")) throw new SyncError(Code.INVALID_ARGUMENT, "send JSON (content-type: application/json)");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new SyncError(Code.INVALID_ARGUMENT, `a request body is at most ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new SyncError(Code.INVALID_ARGUMENT, "the body is not JSON");
  }
}
