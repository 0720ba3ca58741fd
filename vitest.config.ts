import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start relays and databases; give them room, never use time to synchronise.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
