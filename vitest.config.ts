import { defineConfig } from "vitest/config";

// Test tiers live in their own folders: unit tests are pure and parallel; integration tests
// talk to real servers (gRPC over loopback, NATS, Redis) and get longer timeouts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "services/*/test/unit/**/*.test.ts",
            "proto/test/unit/**/*.test.ts",
            "test/unit/**/*.test.ts",
          ],
          testTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["services/*/test/integration/**/*.test.ts", "test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
