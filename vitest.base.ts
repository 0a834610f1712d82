import { defineConfig } from 'vitest/config';

/** Every package tests the same way; `hookTimeout` is raised where a beforeAll builds real data. */
export function packageTestConfig(options: { hookTimeout?: number } = {}) {
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // The addon keeps one storage table per process: test files run in separate forks.
      pool: 'forks',
      testTimeout: 60_000,
      ...(options.hookTimeout === undefined ? {} : { hookTimeout: options.hookTimeout }),
    },
  });
}
