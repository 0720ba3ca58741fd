// With a certificate the relay serves https and wss on its one port: accounts, the sync socket,
// and nothing in plain text. The certificate is self-signed for 127.0.0.1, made by openssl.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import WebSocket from "ws";
import { afterEach, describe, expect, it } from "vitest";
import { decodeRelayFrame, encodeDeviceFrame, PROTOCOL_VERSION } from "../../schema/protocol/frames.js";
import { startTestRelay, testAccount } from "../support/accounts.js";
import { freshPgStore } from "../support/databases.js";
import { tempDir } from "../support/devices.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = tempDir("tls");
  cleanups.push(() => dir.remove());
  const [key, cert] = [join(dir.path, "key.pem"), join(dir.path, "cert.pem")];
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

function post(url: string, body: unknown, ca: Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", ca, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("TLS", () => {
  it("a relay given a certificate serves its accounts over https and the sync socket over wss", async () => {
    const tls = selfSigned();
    const db = await freshPgStore();
    const relay = await startTestRelay({ store: db.store, tls });
    cleanups.push(() => db.close(), () => relay.close());
    expect(relay.url).toMatch(/^https:/);
    expect(relay.syncUrl).toMatch(/^wss:/);
    const signup = await post(`${relay.url}/auth/signup`, { ...testAccount("tls"), deviceName: "phone" }, tls.cert);
    expect(signup.status).toBe(201);
    const socket = new WebSocket(relay.syncUrl, { ca: tls.cert });
    cleanups.push(() => socket.close());
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const welcome = new Promise<string>((resolve) => socket.once("message", (data: Buffer) => resolve(decodeRelayFrame(new Uint8Array(data)).body.case)));
    socket.send(encodeDeviceFrame(1, { case: "hello", value: { protocolVersion: PROTOCOL_VERSION, accessToken: String(signup.json["accessToken"]) } }));
    expect(await welcome).toBe("welcome");
    // Plain http on the same port is not served.
    await expect(fetch(relay.url.replace("https:", "http:") + "/healthz")).rejects.toThrow();
  });
});
