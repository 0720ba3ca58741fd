// The web app without the relay: the built files on a port, and nothing at /sync (a WebSocket
// upgrade is refused at the TCP level). Stands in for what a service worker will do later:
// the page still loads while the relay is down, so a test can reload an offline app.
import { createServer } from "node:http";
import { staticFiles } from "../../relay/http/static-files.js";

export interface AppOnlyServer {
  close(): Promise<void>;
}

export async function serveAppOnly(appDir: string, port: number): Promise<AppOnlyServer> {
  const serve = staticFiles(appDir);
  const server = createServer((req, res) => {
    void serve(req, res).then((served) => {
      if (served) return;
      res.writeHead(404);
      res.end();
    });
  });
  // No 'upgrade' listener: Node destroys the socket, so the page's WebSocket fails like a dead relay's.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
