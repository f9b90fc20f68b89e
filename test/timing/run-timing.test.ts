import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runFiles } from '../helpers/run-files.js'
import { runCli, STACK_TRACE } from '../helpers/cli.js'
import { startServer } from '../helpers/servers.js'

/**
 * Timing-sensitive end-to-end tests: the schedule as a server sees it, and coordinated
 * omission. They run in their own pass, one file at a time (vitest.timing.config.ts), so
 * other test files cannot steal the CPU they measure.
 */

const { dir, keep, scenario, readResult } = runFiles('lb-timing-')

describe('the schedule, as the server sees it', () => {
  it('a 2,000/s hold for 3 s arrives at 2,000/s ± 1%, evenly spaced', async () => {
    const s = await startServer()
    keep(s)
    const out = join(dir, 'hold.json')
    const r = await runCli(['run', scenario('hold', s.origin, '{ kind: organic, rate: { hold: 2000/s, for: 3s } }'), '--out', out, '-q'])
    expect(r.stderr).not.toMatch(STACK_TRACE)
    // The schedule's likes and unlikes, not the warm-up's reads.
    const at = s.received.filter((x) => x.method !== 'GET').map((x) => x.at).sort((a, b) => a - b)
    expect(at.length).toBe(6000)
    const span = at[at.length - 1]! - at[0]!
    expect(span).toBeGreaterThan(2970)
    expect(span).toBeLessThan(3030)
    // Evenly spaced: every 100 ms window of the run holds 200 ± 10% arrivals.
    const windows = new Array(30).fill(0)
    for (const t of at) windows[Math.min(29, Math.floor((t - at[0]!) / 100))]++
    for (const w of windows) expect(Math.abs(w - 200)).toBeLessThanOrEqual(20)
    const result = readResult(out)
    expect(result.totals.requests).toBe(6000)
    expect(result.actors.a!.planned).toBe(6000)
  })
})

describe('coordinated omission', () => {
  it('a server that stalls once for 500 ms shows in corrected p99, not in uncorrected', async () => {
    let stallFrom = Infinity
    const s = await startServer((req, res) => {
      const now = performance.now()
      if (req.method === 'GET') return void res.writeHead(204).end() // the warm-up's reads
      if (stallFrom === Infinity) stallFrom = now + 1000
      const wait = now >= stallFrom && now < stallFrom + 500 ? stallFrom + 500 - now : 0
      setTimeout(() => res.writeHead(204).end(), wait)
    })
    keep(s)
    const out = join(dir, 'stall.json')
    await runCli(['run', scenario('stall', s.origin, '{ kind: organic, rate: { hold: 1000/s, for: 3s } }'), '--out', out, '-q'])
    const l = readResult(out).latency
    expect(l.corrected.p99).toBeGreaterThan(400)
    expect(l.corrected.max).toBeGreaterThan(450)
    expect(l.uncorrected.p99).toBeLessThan(100)
  })
})

