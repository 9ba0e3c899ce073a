// Test runner configuration: every layer (unit, kinds, cli) in one run; no .only in CI.
import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    allowOnly: false,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
})
