import { afterAll, describe, expect, it } from 'vitest'
import type { RunResult } from '../../src/result.js'
import { runYaml, spamFlood } from '../helpers/run-scenario.js'
import { flexibleServer, hasNginx, startNginx } from '../helpers/limiters.js'
import { startServer, type TestServer } from '../helpers/servers.js'

/**
 * The estimator against rate limiters likebench did not write: three accounts flood likes at
 * 20/s each, and the limit read from the outside must match what the limiter was configured
 * to enforce. rate-limiter-flexible's memory limiter is a fixed window anchored at a key's
 * first hit (2 points per second here), so its long-run rate is 2/s and its instant capacity
 * 2; nginx's limit_req (2r/s, burst=4 nodelay) is a bucket of burst + 1 = 5 refilled at 2/s.
 */

const servers: Array<{ close(): Promise<void> }> = []
afterAll(async () => {
  for (const s of servers.reverse()) await s.close()
})

async function flood(origin: string, policy: string): Promise<RunResult> {
  const yaml = `
name: third-party
target: { url: "${origin}", warmup: 0s, connections: 16 }
users: { count: 50 }
integrity: { read: off }
${spamFlood([1, 2, 3, 4, 5], '60/s', 5)}policy:
  - ${policy}
`
  return runYaml(yaml)
}

describe('the estimate matches limiters likebench did not write', () => {
  it('rate-limiter-flexible (RateLimiterMemory, 2 points per 1 s): 2/s', async () => {
    const s = await flexibleServer(2, 1)
    servers.push(s)
    const r = await flood(s.origin, '{ name: per-user, key: user, limit: 2, per: 1s, burst: 2 }')
    const p = r.ratelimit['per-user']!
    expect(p.keys).toBe(3)
    expect(p.estimated.keys).toBe(3)
    expect(Math.abs(p.estimated.ratePerSec! - 2) / 2).toBeLessThan(0.1)
    expect(Math.abs(p.estimated.burst! - 2)).toBeLessThan(1)
    expect(p.headers.retryAfter.share).toBe(1)
  })

  it.skipIf(!hasNginx())('nginx limit_req (rate=2r/s burst=4 nodelay): 2/s, burst 5', async () => {
    const app: TestServer = await startServer((req, res) => res.writeHead(req.method === 'GET' ? 200 : 201).end('{"likes":0}'))
    servers.push(app)
    const nginx = await startNginx(app.origin, '2r/s', 4)
    servers.push({ close: nginx.stop })
    const r = await flood(nginx.origin, '{ name: per-user, key: user, limit: 2, per: 1s, burst: 5 }')
    const p = r.ratelimit['per-user']!
    expect(p.keys).toBe(3)
    expect(Math.abs(p.estimated.ratePerSec! - 2) / 2).toBeLessThan(0.1)
    expect(Math.abs(p.estimated.burst! - 5)).toBeLessThan(1)
    // The declared policy is exactly nginx's: it holds.
    expect(p.material.material).toBe(false)
    expect(r.findings.find((f) => f.kind === 'ratelimit')).toMatchObject({ ok: true })
  })
})
