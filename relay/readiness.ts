// Readiness: whether this relay can serve syncs now (GET /readyz), as a list of named checks.
// The store's check is built in; other parts the relay depends on (a NATS fan-out, say) add
// their own with Relay.addReadinessCheck, and /readyz answers 503 while any of them fails.
// Specification: docs/observability.md
import type { Clock } from "./clock.js";
import type { RelayStore } from "./store/store.js";

export interface ReadinessCheck {
  /** Shown in /readyz's answer: "database", "nats", ... */
  name: string;
  /** Resolves when the dependency is usable; rejects with why not. Must not hang: it is timed out anyway. */
  check(): Promise<void>;
}

export interface ReadinessReport {
  ready: boolean;
  /** "ok", or why the check failed, by check name. */
  checks: Record<string, string>;
}

/** The database is reachable and every migration this code has is applied. */
export function storeReadiness(store: RelayStore): ReadinessCheck {
  return {
    name: "database",
    async check() {
      const pending = await store.pendingMigrations();
      if (pending.length > 0) throw new Error(`migrations not applied: ${pending.join(", ")}`);
    },
  };
}

/** Runs every check at once, each failing after `timeoutMs` on the relay's clock. */
export async function checkReadiness(checks: readonly ReadinessCheck[], clock: Clock, timeoutMs: number): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => [c.name, await withTimeout(c.check(), clock, timeoutMs)] as const),
  );
  return { ready: results.every(([, result]) => result === "ok"), checks: Object.fromEntries(results) };
}

function withTimeout(check: Promise<void>, clock: Clock, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = clock.setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    check.then(
      () => {
        clock.clearTimeout(timer);
        resolve("ok");
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        resolve(err instanceof Error ? err.message : String(err));
      },
    );
  });
}
