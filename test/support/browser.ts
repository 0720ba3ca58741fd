// Real Chromium for end-to-end tests: Debian's build at /usr/bin/chromium, driven by
// playwright-core (which never downloads a browser). The app under test is the built dist/,
// made by `npm test` (vite build) before vitest runs; a test never builds it itself.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const APP_DIR = resolve("dist");

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Throws a message that says what to do when the app or the browser is missing. */
export function assertBrowserTestPrerequisites(): void {
  if (!existsSync(join(APP_DIR, "index.html"))) {
    throw new Error(`${join(APP_DIR, "index.html")} is missing: build the app first (npm run build; npm test does it).`);
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it).`);
  }
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught errors thrown in the page; a passing test expects none. */
  pageErrors: Error[];
  /** Every navigation of the page (hash changes and reloads too), for a failure to say where it went. */
  navigations: string[];
  close(): Promise<void>;
}

export interface BrowserOptions {
  /**
   * A host name the browser resolves to 127.0.0.1. A page opened by it is not a secure context
   * (unlike localhost), as on a phone that opens the relay by its LAN address over plain http.
   */
  lanHostAlias?: string;
}

/**
 * A browser with its own profile folder on disk (IndexedDB, localStorage), so what the app
 * stored survives reloads the way it would on a phone.
 */
export async function openBrowser(options: BrowserOptions = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "ironflow-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: options.lanHostAlias ? [...ARGS, `--host-resolver-rules=MAP ${options.lanHostAlias} 127.0.0.1`] : ARGS,
    viewport: { width: 412, height: 915 },
  });
  context.setDefaultTimeout(20_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: Error[] = [];
  page.on("pageerror", (err) => pageErrors.push(err));
  const started = Date.now();
  const navigations: string[] = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations.push(`+${Date.now() - started} ms ${new URL(frame.url()).hash || "(no hash)"}`);
  });
  page.on("load", () => navigations.push(`+${Date.now() - started} ms load`));
  return {
    context,
    page,
    pageErrors,
    navigations,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
