// The Grafana dashboard in docs/grafana reads only metrics the relay really exports, and groups
// and filters them only by labels they have: a renamed metric or label would otherwise leave an
// empty panel (or one series where there should be many) that nobody notices.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { startTestRelay } from "../support/accounts.js";
import { freshPgStore, type PgStoreFixture } from "../support/databases.js";
import type { Relay } from "../../relay/server.js";

const dashboard = JSON.parse(readFileSync(new URL("../../docs/grafana/ironflow-sync.json", import.meta.url), "utf8")) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

let relay: Relay | undefined;
let db: PgStoreFixture | undefined;
afterAll(async () => {
  await relay?.close();
  await db?.close();
});

describe("the Grafana dashboard", () => {
  it("every metric a panel queries is one the relay's /metrics names", async () => {
    db = await freshPgStore();
    relay = await startTestRelay({ store: db.store });
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const queried = new Set(
      dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => [...target.expr.matchAll(/\b((?:ironflow|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!))),
    );
    expect(queried.size).toBeGreaterThan(10);
    const missing = [...queried].filter((name) => !exported.has(name) && !exported.has(name.replace(/_(bucket|sum|count)$/, "")));
    expect(missing).toEqual([]);
  });

  it("every label a panel groups or filters by is one its metric has (or Prometheus adds: instance, job; le on buckets)", async () => {
    db ??= await freshPgStore();
    relay ??= await startTestRelay({ store: db.store });
    const registry = relay.metrics.registry;
    const wrong: string[] = [];
    for (const { title, targets } of dashboard.panels) {
      for (const { expr } of targets) {
        const names = [...expr.matchAll(/\b((?:ironflow|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!);
        const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(",").map((label) => label.trim()));
        const filtered = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!));
        const has = new Set(["instance", "job"]);
        for (const name of names) {
          if (name.endsWith("_bucket")) has.add("le");
          // prom-client keeps each metric's labelNames, its construction option, on the metric.
          const metric = registry.getSingleMetric(name.replace(/_(bucket|sum|count)$/, "")) as { labelNames?: readonly string[] } | undefined;
          for (const label of metric?.labelNames ?? []) has.add(label);
        }
        for (const label of [...grouped, ...filtered]) if (!has.has(label)) wrong.push(`${title}: ${label} (${names.join(", ")})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
