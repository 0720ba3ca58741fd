// GET /healthz (the process answers), GET /readyz (it can serve syncs: every readiness check
// passes) and GET /metrics (Prometheus text). None needs a token: they say nothing about anyone's
// data, only counts and states; put them behind the network's own rules if that matters.
// Specification: docs/observability.md
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RelayMetrics } from "../metrics.js";
import type { ReadinessReport } from "../readiness.js";

export interface HealthSources {
  metrics: RelayMetrics;
  readiness: () => Promise<ReadinessReport>;
  connections: () => number;
}

/** Handles the request if it is one of these routes; false otherwise. */
export async function handleHealth(sources: HealthSources, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = new URL(req.url ?? "/", "http://relay").pathname;
  switch (path) {
    case "/healthz":
      json(res, 200, { ok: true, connections: sources.connections() });
      return true;
    case "/readyz": {
      const report = await sources.readiness();
      json(res, report.ready ? 200 : 503, report);
      return true;
    }
    case "/metrics": {
      const { contentType, body } = await sources.metrics.render();
      res.writeHead(200, { "content-type": contentType, "cache-control": "no-store" });
      res.end(body);
      return true;
    }
    default:
      return false;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}
