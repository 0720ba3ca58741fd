// Builds the web app (client/app) into dist/, which the relay serves on its one port, with a
// Workbox service worker that precaches every built file (Automerge's wasm included) so the app
// opens with no signal, and a web app manifest so it installs. The worker is of the "prompt"
// kind: a new version waits until the person chooses to switch (client/app/offline/app-shell.ts).
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

export default defineConfig({
  root: "client/app",
  plugins: [
    react(),
    VitePWA({
      registerType: "prompt",
      // Registered by the app itself (registerSW from virtual:pwa-register), not by an injected script.
      injectRegister: false,
      includeAssets: ["icon.svg", "apple-touch-icon.png"],
      manifest: {
        id: "/",
        name: "IronFlow",
        short_name: "IronFlow",
        description: "Log your workouts offline; they sync between your devices.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "portrait",
        background_color: "#f3f4f6",
        theme_color: "#0f172a",
        icons: [
          { src: "icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
          { src: "icon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{html,js,css,wasm,svg,png,webmanifest}"],
        // Automerge's wasm is 3.6 MB; Workbox skips files over 2 MB unless told.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: "index.html",
        // The relay's own endpoints are never the app.
        navigateFallbackDenylist: [/^\/sync/, /^\/healthz/],
        cleanupOutdatedCaches: true,
        // No skipWaiting: a new version waits for the person. clientsClaim: once the person lets
        // it in, it takes the open pages too, so the one that asked reloads into it (the first
        // page of all was never controlled, and would otherwise wait for a second reload).
        clientsClaim: true,
      },
    }),
  ],
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
