// Serves the built web app (vite build output) from one folder. A path without a file extension
// is a page of the app and gets index.html (the app routes in the URL hash, so this is only the
// root and a stray path); a missing file is a 404, never index.html under a script's name, which a
// service worker would cache as that script.
// The service worker, its registration's manifest and index.html are revalidated on every load,
// so a new version is found; the hashed assets never change under their names.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { basename, extname, join, normalize, resolve, sep } from "node:path";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".webmanifest": "application/manifest+json",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

/** Files whose content changes under the same name from one build to the next. */
const REVALIDATE = new Set(["index.html", "sw.js", "manifest.webmanifest"]);

export function staticFiles(rootDir: string) {
  const root = resolve(rootDir);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://relay").pathname);
    const candidate = resolve(join(root, normalize(pathname)));
    if (candidate !== root && !candidate.startsWith(root + sep)) return false;
    const files = extname(candidate) === "" ? [candidate, join(root, "index.html")] : [candidate];
    for (const file of files) {
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      const name = basename(file);
      res.writeHead(200, {
        "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": info.size,
        "cache-control": REVALIDATE.has(name) ? "no-cache" : "public, max-age=3600",
      });
      if (req.method === "HEAD") res.end();
      else createReadStream(file).pipe(res);
      return true;
    }
    return false;
  };
}
