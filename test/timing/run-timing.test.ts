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
    // Evenly spaced: arrival i lands at its slot, the first arrival + i × 0.5 ms. Measured as
    // each arrival's distance from its slot (relative to the median offset): typically well
    // under a millisecond, with room for one rare pause of either process (a GC) in the tail.
    const offsets = at.map((t, i) => t - at[0]! - i * 0.5)
    const median = [...offsets].sort((a, b) => a - b)[offsets.length >> 1]!
    const dev = offsets.map((o) => Math.abs(o - median)).sort((a, b) => a - b)
    const q = (p: number) => dev[Math.min(dev.length - 1, Math.floor(p * dev.length))]!
    expect(q(0.5)).toBeLessThan(1)
    expect(q(0.9)).toBeLessThan(3)
    expect(dev[dev.length - 1]).toBeLessThan(50)
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

