// Builds the web app (client/app) into dist/, which the relay serves on its one port.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: "client/app",
  plugins: [react()],
  build: {
    outDir: "../../dist",
    emptyOutDir: true,
  },
  // The dev server's dependency pre-bundling breaks Automerge's wasm import (the page dies at
  // boot with a bare "Exception"); `vite build` needs nothing.
  optimizeDeps: { exclude: ["@automerge/automerge"] },
  server: {
    // `npm run dev` talks to a relay started with `npm start` (default port 8080). The key is a
    // regex: a plain "/sync" is a prefix and would also send /sync-badge.tsx to the relay.
    proxy: { "^/sync$": { target: "ws://127.0.0.1:8080", ws: true } },
  },
});
