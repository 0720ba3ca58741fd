// The relay's one port: HTTP (accounts, health, the built app) and the WebSocket sync endpoint at
// /sync. This is the only file that knows about `ws`.
// Specification: docs/relay.md
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { AccountService, DEFAULT_AUTH, type AuthOptions } from "./auth/account-service.js";
import { publishExerciseLibrary, type ExerciseEntry } from "./catalog/catalog.js";
import { systemClock, type Clock, type TimerHandle } from "./clock.js";
import { InProcessFanout, type Fanout } from "./fanout.js";
import { DEFAULT_LIMITS, type RelayLimits } from "./limits.js";
import { silentLogger, type Logger } from "./logger.js";
import { CloseCode, LiveSessions, Session } from "./session.js";
import { handleAuth } from "./http/auth-routes.js";
import { handleHealth } from "./http/health-routes.js";
import { RelayMetrics, measuredStore } from "./metrics.js";
import { checkReadiness, storeReadiness, type ReadinessCheck } from "./readiness.js";
import { automergeReadiness, type AutomergeProbeApi } from "./automerge-readiness.js";
import { staticFiles } from "./http/static-files.js";
import type { RelayStore } from "./store/store.js";
import { SyncObserver } from "./sync-observer.js";
import { SyncService } from "./sync-service.js";

export interface RelayOptions {
  store: RelayStore;
  port?: number;
  host?: string;
  limits?: Partial<RelayLimits>;
  /** Folder of the built web app to serve; none = API only. */
  appDir?: string;
  log?: Logger;
  /** Time and timers for everything the relay does; the system's by default. */
  clock?: Clock;
  /** How accepted changes reach other devices; within this process by default. The caller closes its own. */
  fanout?: Fanout;
  /** Token lifetimes, password hashing cost, sign-in limits; the signing secret (else one shared through the database). */
  auth?: Partial<AuthOptions>;
  /**
   * Pages allowed to open the sync socket, by origin ("https://app.example"). Clients that send no
   * Origin (not browsers) are always allowed; a browser page is by default only if it was served
   * by this relay (its Origin's host is the one it asked for).
   */
  allowedOrigins?: readonly string[];
  /**
   * Serve https and wss with this certificate and key (PEM). Phones on the Wi-Fi need it: a
   * browser gives a page on a plain-http LAN address no service worker and no WebCrypto.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Checks GET /readyz runs besides the database's and Automerge's (NATS, say); more with Relay.addReadinessCheck. */
  readinessChecks?: readonly ReadinessCheck[];
  /**
   * The Automerge module /readyz probes, and a push asks about when a call into Automerge threw:
   * Automerge itself unless a test stands in one that trapped.
   */
  automergeProbe?: AutomergeProbeApi;
  /** How long /readyz waits for each check. Default 1000 ms. */
  readinessTimeoutMs?: number;
}

export interface Relay {
  readonly url: string;
  readonly syncUrl: string;
  readonly port: number;
  readonly service: SyncService;
  readonly accounts: AccountService;
  connections(): number;
  /** This relay's Prometheus metrics (GET /metrics); parts added later register theirs in its registry. */
  readonly metrics: RelayMetrics;
  /** Adds a check GET /readyz runs from now on. */
  addReadinessCheck(check: ReadinessCheck): void;
  /** Publishes new or changed exercise library entries to every device; returns how many changed. */
  publishExerciseLibrary(entries: readonly ExerciseEntry[]): Promise<number>;
  /**
   * A clean stop for a rolling restart: /readyz answers 503 and new sync connections are closed
   * with RELAY_RESTARTING at once; each open connection has every request it already sent
   * answered (later ones are refused with UNAVAILABLE), then closes with RELAY_RESTARTING so its
   * device reconnects at once, elsewhere. Connections still busy after `boundMs` are closed
   * anyway (their unanswered requests were never acknowledged: the devices send them again).
   * Then closes like close(). Resolves with what happened, for the shutdown log.
   */
  drain(boundMs: number): Promise<DrainReport>;
  /** Stops accepting, closes every connection, and closes the store. */
  close(): Promise<void>;
}

export interface DrainReport {
  /** Connections open when the drain began. */
  connections: number;
  /** Requests that arrived during the drain and were refused with UNAVAILABLE. */
  refused: number;
  /** Connections closed by the bound with requests still unanswered (0 in a clean drain). */
  cut: number;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const fanout = options.fanout ?? new InProcessFanout();
  // Filled once the socket server exists; the metrics read them at scrape time.
  let openConnections = (): number => 0;
  let cachedDocuments = (): number => 0;
  let heldDocuments = (): number => 0;
  const metrics = new RelayMetrics({ connections: () => openConnections(), cachedDocuments: () => cachedDocuments(), heldDocuments: () => heldDocuments() });
  const store = measuredStore(options.store, metrics);
  const service = new SyncService(store, fanout, limits, metrics, options.automergeProbe);
  cachedDocuments = () => service.cachedDocuments;
  heldDocuments = () => service.heldDocuments;
  const readinessChecks: ReadinessCheck[] = [storeReadiness(options.store), automergeReadiness(options.automergeProbe), ...(options.readinessChecks ?? [])];
  const observer = new SyncObserver(metrics, log);
  const health = {
    metrics,
    connections: () => openConnections(),
    readiness: () => checkReadiness(readinessChecks, clock, options.readinessTimeoutMs ?? 1000),
  };
  const live = new LiveSessions();
  /** Every open connection's session, authenticated or not, so a drain reaches them all. */
  const sessions = new Set<Session>();
  let draining = false;
  readinessChecks.push({
    name: "accepting",
    check: () => (draining ? Promise.reject(new Error("draining: this relay is stopping")) : Promise.resolve()),
  });
  const accounts = new AccountService(options.store.accounts, clock, { ...DEFAULT_AUTH, ...options.auth }, (userId, deviceId) => live.revoke(userId, deviceId));
  const serveApp = options.appDir ? staticFiles(options.appDir) : undefined;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      if (await handleHealth(health, req, res)) return;
      if (await handleAuth(accounts, req, res)) return;
      if (serveApp && (await serveApp(req, res))) return;
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found");
    })().catch((err: unknown) => {
      log.error("http_failed", { error: String(err) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const http: Server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handle) : createServer(handle);

  // ws refuses frames past maxPayload by closing with 1009; set it above our own limit so an
  // oversized frame up to twice the limit still gets a typed RESOURCE_EXHAUSTED reply.
  const wss = new WebSocketServer({
    server: http,
    path: "/sync",
    maxPayload: limits.maxFrameBytes * 2,
    // Compression of attacker-chosen frames costs the relay memory and CPU; frames are small.
    perMessageDeflate: false,
    verifyClient: ({ origin, req }: { origin: string | undefined; req: { headers: { host?: string } } }) => originAllowed(origin, req.headers.host, options.allowedOrigins),
  });
  openConnections = () => wss.clients.size;
  wss.on("connection", (socket) => {
    if (draining) {
      socket.close(CloseCode.RELAY_RESTARTING, "relay restarting: reconnect");
      return;
    }
    if (wss.clients.size > limits.maxConnections) {
      socket.close(CloseCode.TRY_AGAIN_LATER, "too many connections; try again later");
      return;
    }
    // Backpressure: bytes handed to ws and not yet written to the kernel. A device that does not
    // read its replies makes them pile up here; reading its frames stops until they drain, and
    // past maxBufferedBytes the connection is closed rather than held in memory.
    let buffered = 0;
    let paused = false;
    const send = (frame: Uint8Array) => {
      if (socket.readyState !== WebSocket.OPEN) return;
      buffered += frame.length;
      socket.send(frame, { binary: true }, () => {
        buffered -= frame.length;
        if (paused && buffered <= limits.maxFrameBytes) {
          paused = false;
          socket.resume();
        }
      });
      if (buffered > limits.maxBufferedBytes) {
        log.info("slow_reader_closed", { buffered_bytes: buffered });
        socket.close(CloseCode.POLICY_VIOLATION, "replies unread: the device does not read what it asked for");
      } else if (!paused && buffered > limits.maxFrameBytes) {
        paused = true;
        socket.pause();
      }
    };
    const session = new Session(
      {
        send,
        close: (code, reason) => socket.close(code, reason),
      },
      { service, accounts, live, fanout, limits, log, clock, observer },
    );
    sessions.add(session);
    socket.on("message", (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        socket.close(CloseCode.PROTOCOL_ERROR, "binary frames only");
        return;
      }
      void session.accept(toBytes(data));
    });
    socket.on("close", () => {
      sessions.delete(session);
      session.closed();
    });
    socket.on("error", (err) => log.error("socket_error", { error: String(err) }));
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  const host = options.host && options.host !== "0.0.0.0" ? options.host : "127.0.0.1";

  const secure = options.tls !== undefined;
  return {
    url: `${secure ? "https" : "http"}://${host}:${port}`,
    syncUrl: `${secure ? "wss" : "ws"}://${host}:${port}/sync`,
    port,
    service,
    accounts,
    connections: () => wss.clients.size,
    metrics,
    addReadinessCheck: (check) => {
      readinessChecks.push(check);
    },
    publishExerciseLibrary: async (entries) => {
      const changed = await publishExerciseLibrary(store, fanout, clock, entries);
      service.libraryChanged();
      return changed;
    },
    async drain(boundMs) {
      draining = true;
      const open = [...sessions];
      log.info("relay_draining", { connections: open.length, bound_ms: boundMs });
      const finished = new Set<Session>();
      let bound: TimerHandle = undefined;
      const boundReached = new Promise<void>((resolve) => (bound = clock.setTimeout(resolve, boundMs)));
      // Drained means answered and sent the close; the devices' replies to it end the sockets.
      const drained = Promise.all(open.map((session) => session.drain().then(() => finished.add(session))));
      const closedByDevices = drained.then(() => new Promise<void>((resolve) => wss.close(() => resolve())));
      const outcome = await Promise.race([closedByDevices.then(() => "drained" as const), boundReached.then(() => "bound" as const)]);
      clock.clearTimeout(bound);
      const report: DrainReport = {
        connections: open.length,
        refused: open.reduce((n, session) => n + session.refusedWhileDraining, 0),
        cut: open.filter((session) => !finished.has(session)).length,
      };
      if (outcome === "bound") {
        // Past the bound: what is left is closed now, without waiting for the devices' answers.
        for (const client of wss.clients) {
          client.close(CloseCode.RELAY_RESTARTING, "relay restarting: reconnect");
          client.terminate();
        }
      }
      await shutDown(CloseCode.RELAY_RESTARTING, "relay restarting: reconnect");
      return report;
    },
    close: () => shutDown(CloseCode.GOING_AWAY, "relay shutting down"),
  };

  /** Closes every connection still open, then the store. */
  async function shutDown(code: number, reason: string): Promise<void> {
    for (const client of wss.clients) client.close(code, reason);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    service.close();
    await options.store.close();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A browser page may open the sync socket only from an allowed origin; other clients send none. */
function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[] | undefined): boolean {
  if (origin === undefined || origin === "") return true;
  if (allowed) return allowed.includes(origin);
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
