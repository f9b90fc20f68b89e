import { defineConfig } from 'vitest/config'

// Tests that measure time (schedule accuracy, coordinated omission) run after the rest, one
// file at a time, so no other test file competes for the CPU they measure.
export default defineConfig({
  test: {
    include: ['test/timing/**/*.test.ts'],
    testTimeout: 30_000,
    fileParallelism: false,
    pool: 'forks',
    maxWorkers: 1,
  },
})
