import { defineConfig } from "vitest/config";

// Test tiers live in their own folders: unit tests are pure and parallel; integration tests
// talk to real servers (gRPC over loopback, NATS, Redis); e2e tests run a whole devnet; deploy
// tests check the Helm chart, the alert rules and the metrics against real helm and Prometheus;
// faults tests send hostile input to every decoder and gRPC handler.
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
      {
        // The whole devnet as child processes: one file at a time, generous timeouts.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Hostile input: every proto decoder and every gRPC handler fuzzed (real servers on
        // loopback with real NATS/Redis, unique names). One file at a time: each stands up its
        // services and the 2 cores are the budget. FUZZ_CASES scales it (`pnpm fuzz`).
        test: {
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          testTimeout: 1_800_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
      {
        // Helm chart, Prometheus rules and a devnet scraped by a real Prometheus: real tools
        // (scripts/deployTools.sh installs them), one file at a time, generous timeouts.
        test: {
          name: "deploy",
          include: ["test/deploy/**/*.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
