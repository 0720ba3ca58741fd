// What the browser tests share: a fresh Postgres schema, relays on it, Chromium devices opening
// the app, Node devices of the same person, and a cleanup after each test. A browser device may
// reach the relay through its own TCP proxy, so the test can take that one device off the
// network for real (its WebSocket reset, new connections refused) while the others stay on.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, expect } from "vitest";
import type { Relay } from "../../relay/server.js";
import { startTestRelay } from "../support/accounts.js";
import { TcpProxy } from "../faults/tcp-proxy.js";
import { AppPage } from "../support/app-page.js";
import { APP_DIR, assertBrowserTestPrerequisites, openBrowser, type BrowserOptions, type TestBrowser } from "../support/browser.js";
import { freshPgStore, type PgStoreFixture } from "../support/databases.js";
import { openDevice, type TestDevice } from "../support/devices.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

beforeAll(() => assertBrowserTestPrerequisites());

export function onCleanup(fn: () => Promise<unknown>): void {
  cleanups.push(fn);
}

export async function database(): Promise<PgStoreFixture> {
  const db = await freshPgStore();
  cleanups.push(db.close);
  return db;
}

export async function relay(db: PgStoreFixture, options: { port?: number; appDir?: string } = {}): Promise<Relay> {
  const r = await startTestRelay({ store: db.store, appDir: options.appDir ?? APP_DIR, port: options.port ?? 0 });
  cleanups.push(() => r.close());
  return r;
}

/** A copy of the built app that a test may change (to publish "a new version"). */
export function appCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "ironflow-app-"));
  cpSync(APP_DIR, dir, { recursive: true });
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  });
  return dir;
}

export async function browser(options: BrowserOptions = {}): Promise<{ app: AppPage; chromium: TestBrowser }> {
  const chromium = await openBrowser(options);
  cleanups.push(() => chromium.close());
  return { app: new AppPage(chromium.page), chromium };
}

export async function nodeDevice(relayUrl: string, userId: string, name = "node-tablet"): Promise<TestDevice> {
  const device = await openDevice(name, relayUrl, userId);
  cleanups.push(() => device.close());
  return device;
}

/** A browser device set up for `userId`, online, reaching the relay through its own proxy. */
export interface ProxiedBrowser {
  app: AppPage;
  chromium: TestBrowser;
  url: string;
  /** The proxy between this device and the relay, for faults beyond offline() (a blackhole). */
  proxy: TcpProxy;
  /** Off the network: new connections fail, the open one is reset. Resolves once the app shows it. */
  offline(): Promise<void>;
  /** Back on the network (the browser's `online` event starts a sync). */
  online(): Promise<void>;
}

export async function proxiedBrowser(r: Relay, userId: string, deviceName: string): Promise<ProxiedBrowser> {
  const proxy = await TcpProxy.open({ port: r.port });
  cleanups.push(() => proxy.close());
  const { app, chromium } = await browser();
  const url = `http://127.0.0.1:${proxy.port}/`;
  await chromium.page.goto(url);
  await app.setUp(userId, deviceName);
  await app.connection("Online");
  return {
    app,
    chromium,
    url,
    proxy,
    async offline() {
      await chromium.context.setOffline(true);
      proxy.cut();
      await app.connection("Offline");
    },
    async online() {
      await chromium.context.setOffline(false);
      await app.connection("Online");
    },
  };
}

/**
 * What every screen of the app must be on a phone (390 px wide): no serious axe violation in
 * light or dark mode, every control at least 44 × 44 CSS px, nothing wider than the phone.
 * Soft: one run reports every screen's problems.
 */
export async function checkPhoneScreen(app: AppPage, screen: string): Promise<void> {
  for (const scheme of ["light", "dark"] as const) {
    await app.page.emulateMedia({ colorScheme: scheme });
    expect.soft(await app.seriousViolations(), `${screen}, ${scheme}`).toEqual([]);
  }
  expect.soft(await app.smallTargets(), screen).toEqual([]);
  expect.soft(await app.page.evaluate(() => document.documentElement.scrollWidth), `${screen} width`).toBeLessThanOrEqual(390);
}
