import { describe, expect, it } from 'vitest'
import { Pool } from 'undici'
import { FastPool } from '../../src/transport/fast.js'
import { createPool, transportFor } from '../../src/transport/pool.js'

describe('transportFor', () => {
  it.each<[string, NodeJS.ProcessEnv, string]>([
    ['http://127.0.0.1:8080', {}, 'fast'],
    ['http://[::1]:8080', {}, 'fast'],
    ['https://127.0.0.1:8443', {}, 'undici'],
    ['http://127.0.0.1:8080', { LIKEBENCH_TRANSPORT: 'undici' }, 'undici'],
    ['http://127.0.0.1:8080', { LIKEBENCH_TRANSPORT: 'fast' }, 'fast'],
  ])('%s with %o → %s', (origin, env, want) => {
    expect(transportFor(origin, env)).toBe(want)
  })
})

describe('createPool', () => {
  it('builds a FastPool for http: and an undici Pool for https:, neither connecting before the first request', async () => {
    const fast = createPool('http://127.0.0.1:9', { connections: 2, timeoutMs: 1000 })
    const tls = createPool('https://127.0.0.1:9', { connections: 2, timeoutMs: 1000 })
    expect(fast).toBeInstanceOf(FastPool)
    expect(tls).toBeInstanceOf(Pool)
    expect(fast.stats).toMatchObject({ connected: 0, size: 0 })
    await Promise.all([fast.destroy(), tls.destroy()])
    expect(fast.destroyed).toBe(true)
  })
})
