import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests measure real elections on real sockets; running them beside the
    // CPU-bound property suite on a small machine would only test the scheduler.
    fileParallelism: false,
  },
});
