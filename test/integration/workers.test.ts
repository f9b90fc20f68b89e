import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RunResult } from '../../src/result.js'
import { interruptCli, runCli, STACK_TRACE } from '../helpers/cli.js'
import { runFiles } from '../helpers/run-files.js'

const files = runFiles('likebench-workers-')
const MIX = 'test/fixtures/workers/mix.yaml'

/**
 * comparable keeps what a seeded run must reproduce whatever the number of workers: requests
 * and answers per actor and endpoint, the oracle's figures per policy, the integrity figures and
 * every finding. It leaves out what depends on timing alone: latencies, rates, spans and
 * spreads, the outside estimate, the leak slack (it grows with the uncorrected p99), and the
 * RateLimit-Remaining pairs (answers sent within one token's refill of each other).
 */
function comparable(r: RunResult) {
  const timing = /latency|Spread|spanMs|estimated|firstThrottle|slackPerKey|rps|Ms$/
  const replacer = (k: string, x: unknown) => {
    if (timing.test(k)) return undefined
    return k === 'message' && typeof x === 'string' ? x.replace(/estimated [\d.]+\/s burst [\d.]+/, 'estimated …') : x
  }
  const strip = (v: unknown) => JSON.parse(JSON.stringify(v, replacer)) as unknown
  return {
    actors: strip(r.actors),
    ratelimit: Object.fromEntries(Object.entries(r.ratelimit).map(([name, p]) => [name, {
      keys: p.keys, sent: p.sent, allowed: p.allowed, admitted: p.admitted, throttled: p.throttled, overAdmitted: p.overAdmitted, falseThrottled: p.falseThrottled,
      // Whether RateLimit-Remaining went down between two answers sent closer than one token's refill is timing.
      headers: { retryAfter: p.headers.retryAfter, remainingSeen: p.headers.rateLimitRemaining.seen },
    }])),
    integrity: strip(r.integrity),
    findings: strip(r.findings),
  }
}

describe('likebench run --workers', () => {
  it('gives the same counts, oracle, integrity and findings from 1 worker and from 4, for the same seed', async () => {
    const results: RunResult[] = []
    for (const workers of ['1', '4']) {
      const out = join(files.dir, `mix-${workers}.json`)
      const r = await runCli(['run', MIX, '--workers', workers, '--out', out, '-q'], { timeoutMs: 40_000 })
      expect(r.stderr).not.toMatch(STACK_TRACE)
      expect(r.code, r.stderr + r.stdout).toBe(0)
      results.push(files.readResult(out))
    }
    const [one, four] = results as [RunResult, RunResult]
    expect(one.generator.workers).toBe(1)
    expect(four.generator.workers).toBe(4)
    // Every kind of actor sent, and the limits were really exercised (the farm is throttled).
    expect(Object.values(four.actors).every((a) => a.requests > 0)).toBe(true)
    expect(four.ratelimit['per-user']!.throttled).toBeGreaterThan(50)
    expect(four.integrity?.posts).toBeGreaterThan(10)
    expect(comparable(four)).toEqual(comparable(one))
    // The merged timeline accounts for every request.
    const perSecond = four.timeline.reduce((n, row) => n + row.sent, 0)
    expect(perSecond).toBe(four.totals.requests)
  }, 90_000)

  it('refuses a worker count it cannot use, saying what it expects', async () => {
    for (const [value, message] of [['0', 'at least 1'], ['x', 'auto or a whole number'], ['65', 'at most 64 worker threads']] as const) {
      const r = await runCli(['run', MIX, '--workers', value])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain(message)
      expect(r.stderr).not.toMatch(STACK_TRACE)
    }
  })

  it('stops every worker on Ctrl-C, writes the merged result marked aborted, and exits 4', async () => {
    const file = join(files.dir, 'long.yaml')
    writeFileSync(file, 'name: long\ntarget: builtin\nusers: { count: 2000 }\nactors:\n  organic: { kind: organic, rate: { hold: 300/s, for: 60s } }\n')
    const out = join(files.dir, 'aborted.json')
    const c = await interruptCli(['run', file, '--workers', '2', '--out', out], (o) => o.stderr.includes('likebench: long →'), { thenMs: 1500, readyMs: 20_000 })
    expect(c.stderr).not.toMatch(STACK_TRACE)
    expect(c.code).toBe(4)
    expect(existsSync(out)).toBe(true)
    const r = files.readResult(out)
    expect(r.verdict).toBe('aborted')
    expect(r.generator.workers).toBe(2)
    expect(r.totals.requests).toBeGreaterThan(200)
    expect(r.totals.requests).toBeLessThan(300 * 20)
  }, 40_000)

  it('stops the run when an abortOnFail threshold fails on the workers\' merged figures', async () => {
    const file = join(files.dir, 'abort-on-fail.yaml')
    writeFileSync(file, `name: abort-on-fail
target: builtin
users: { count: 2000 }
actors:
  organic: { kind: organic, rate: { hold: 200/s, for: 30s } }
thresholds:
  requests{actor:organic}: [ { threshold: "count < 100", abortOnFail: true } ]
`)
    const out = join(files.dir, 'abort-on-fail.json')
    const r = await runCli(['run', file, '--workers', '2', '--out', out, '-q'], { timeoutMs: 30_000 })
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.code).toBe(4)
    const result = files.readResult(out)
    expect(result.reason).toMatch(/abortOnFail: threshold requests\{actor:organic\}: count < 100 failed /)
    expect(result.durationMs).toBeLessThan(10_000)
  }, 40_000)
})
