// The Grafana dashboard in docs/grafana reads only metrics the relay really exports: a renamed
// metric would otherwise leave an empty panel nobody notices.
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
});
