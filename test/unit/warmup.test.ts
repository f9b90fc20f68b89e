import { describe, expect, it } from 'vitest'
import { warmupBudget } from '../../src/engine/warmup.js'

describe('warmupBudget', () => {
  it.each([
    // peak rps, connections, warm-up ms → requests
    [200, 64, 1000, 200],
    [10, 64, 1000, 64],
    [10_000, 100, 500, 5000],
    [0.5, 8, 1000, 8],
  ])('%d/s over %d connections for %d ms: %d requests', (peak, conns, ms, n) => expect(warmupBudget(peak, conns, ms)).toBe(n))
})
