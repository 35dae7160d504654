import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // e2e suites bind loopback ports and SQLite files; two workers match the 2-core machines.
    maxWorkers: 2,
  },
});
