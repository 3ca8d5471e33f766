import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Two test files at a time, whatever the core count: on 2 cores vitest's default is one,
    // and most files wait on servers, child processes and sandboxed programs rather than
    // compute. CODELOOP_TEST_WORKERS overrides it.
    maxWorkers: Number(process.env.CODELOOP_TEST_WORKERS ?? 2),
    minWorkers: 1,
    // Under CI, also write a JSON report so .ci/run can print a plain "N passed, N failed" line.
    reporters: process.env.CI ? ["default", "json"] : ["default"],
    outputFile: process.env.CI ? { json: ".vitest-report.json" } : undefined,
  },
});
