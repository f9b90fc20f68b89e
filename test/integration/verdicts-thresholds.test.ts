import { describe, expect, it } from 'vitest'
import { exitCodeOf } from '../../src/cli/run.js'
import type { RunResult } from '../../src/result.js'
import { runYaml, spamFlood } from '../helpers/run-scenario.js'

/**
 * Thresholds on a real run: evaluated on the final result (any percentile, by actor and
 * endpoint), and abortOnFail ones on live figures about once a second, stopping the run
 * early with the threshold named in the reason (exit 4).
 */

async function run(thresholds: string, seconds = 10): Promise<RunResult> {
  const yaml = `
name: thresholds
target: { url: builtin, warmup: 0s, builtin: { rateLimits: ["user=10/10s,burst=5"] } }
users: { count: 50 }
integrity: { read: off }
${spamFlood([1, 2, 3], '30/s', seconds)}thresholds:
${thresholds}
`
  return runYaml(yaml)
}

describe('thresholds on a run', () => {
  it('abortOnFail stops the run once the threshold fails, after its delay, and says which', async () => {
    const r = await run(`  throttled{actor:spam}: [ { threshold: "rate < 10%", abortOnFail: true, delayAbortEval: 1s } ]
  latency{actor:spam,endpoint:like}: [ p75 < 5s ]
  requests: [ count > 0 ]`)
    expect(r.verdict).toBe('aborted')
    expect(exitCodeOf(r)).toBe(4)
    expect(r.reason).toMatch(/^abortOnFail: threshold throttled\{actor:spam\}: rate < 10% failed [12]\.\ds into the run \(was 0\.\d+\)$/)
    expect(r.durationMs).toBeLessThan(5000)
    expect(r.totals.requests).toBeLessThan(150)
    const [throttled, p75, requests] = r.thresholds
    expect(throttled).toMatchObject({ metric: 'throttled{actor:spam}', ok: false })
    expect(p75!.value).toBeGreaterThan(0)
    expect(p75!.ok).toBe(true)
    expect(requests).toMatchObject({ value: r.totals.requests, ok: true })
  })

  it('a threshold that fails at the end fails the run (exit 99) without aborting it', async () => {
    const r = await run('  throttled: [ rate < 10% ]\n  errors: [ rate < 1% ]', 2)
    expect(r.verdict).toBe('failed')
    expect(exitCodeOf(r)).toBe(99)
    expect(r.thresholds.map((t) => t.ok)).toEqual([false, true])
    expect(r.reason).toContain('threshold throttled: rate < 10% (was 0.')
  })
})
