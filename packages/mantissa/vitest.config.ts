import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The addon keeps one storage table per process: test files run in separate forks.
    pool: 'forks',
    testTimeout: 60_000,
  },
});
