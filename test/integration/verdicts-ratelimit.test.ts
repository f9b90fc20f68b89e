import { describe, expect, it } from 'vitest'
import type { RunResult } from '../../src/result.js'
import { runYaml, spamFlood } from '../helpers/run-scenario.js'

/**
 * The rate-limit oracle end to end against the built-in target (forked from dist/: build
 * first): three accounts flooding likes at 10/s each against `user=10/10s,burst=5` (1/s after
 * a burst of 5). The sound target passes and its limit is read back from the outside; the
 * fixed-window flaw lets a double burst through and fails the run.
 */

const run = (yaml: string): Promise<RunResult> => runYaml(yaml)

/** floodUsers: 3 accounts from one address, 10 likes/s each over 20 posts, for `seconds`, against the built-in target with `flaws`. */
const floodUsers = (flaws: string[], seconds: number) => `
name: flood-users
target: { url: builtin, warmup: 0s, builtin: { flaws: ${JSON.stringify(flaws)}, rateLimits: ["user=10/10s,burst=5"] } }
users: { count: 50 }
posts: { count: 20, pick: uniform }
integrity: { read: off }
${spamFlood(Array.from({ length: 20 }, (_, i) => i + 1), '30/s', seconds)}policy:
  - { name: per-user, key: user, limit: 10, per: 10s, burst: 5, on: [like, unlike] }
`

describe('rate-limit oracle against the built-in target', () => {
  it('sound per-user bucket: reads 1/s and burst 5 from the outside, and passes', async () => {
    const r = await run(floodUsers([], 5))
    const p = r.ratelimit['per-user']!
    expect(p.keys).toBe(3)
    expect(p.sent).toBeGreaterThan(120)
    expect(p.estimated.keys).toBe(3)
    expect(Math.abs(p.estimated.ratePerSec! - 1)).toBeLessThan(0.1)
    expect(Math.abs(p.estimated.burst! - 5)).toBeLessThan(1)
    expect(p.material.material).toBe(false)
    expect(p.overAdmitted).toBeLessThanOrEqual(3)
    expect(p.falseThrottled).toBeLessThanOrEqual(3)
    expect(p.headers.retryAfter.share).toBe(1)
    expect(p.headers.rateLimitRemaining.decreasing).toBe(true)
    expect(r.findings.find((f) => f.kind === 'ratelimit')).toMatchObject({ actor: 'per-user', ok: true })
    expect(r.verdict).toBe('passed')
  })

  it('fixed-window flaw: the oracle sees over-admission across window edges, and the run fails', async () => {
    const r = await run(floodUsers(['fixed-window'], 4))
    const p = r.ratelimit['per-user']!
    // A fresh window lets 10 through at once where the policy's bucket holds 5: at least 5 per key.
    expect(p.overAdmitted).toBeGreaterThanOrEqual(3 * 5)
    expect(p.material.material).toBe(true)
    expect(r.verdict).toBe('failed')
    const f = r.findings.find((x) => x.kind === 'ratelimit')!
    expect(f).toMatchObject({ actor: 'per-user', ok: false })
    expect(r.reason).toContain('per-user: ')
    expect(r.reason).toContain('admitted beyond the declared 10/10s burst 5 per user')
  })
})
