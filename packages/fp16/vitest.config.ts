import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The addon keeps one storage table per process: test files run in separate forks.
    pool: 'forks',
    // A package skeleton passes until its first tests land.
    passWithNoTests: true,
    testTimeout: 60_000,
  },
});
