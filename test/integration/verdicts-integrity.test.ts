import { afterAll, describe, expect, it } from 'vitest'
import { runPlan } from '../../src/engine/runner.js'
import { checkScenarioText, loadScenario } from '../../src/scenarios/loader.js'
import { applyOverrides } from '../../src/scenarios/overrides.js'
import { startServer, type TestServer } from '../helpers/servers.js'

/**
 * The integrity read-back end to end with scenarios/duplicate-race.yaml (double taps,
 * same-tick bursts and last-byte races of one user's like): every touched post is read before
 * and after the run. The sound target counts each user's like once and every count lands in
 * its range; racy-dedupe lets concurrent duplicates all count, which shows as overcount and
 * fails the run through the integrity finding and the scenario's thresholds.
 */

const scenario = () => loadScenario('scenarios/duplicate-race.yaml', {})

describe('integrity read-back: scenarios/duplicate-race.yaml', () => {
  it('sound target: every count within its range', async () => {
    const r = await runPlan(scenario())
    const i = r.integrity!
    expect(i.posts).toBeGreaterThan(0)
    expect(i.unread).toBe(0)
    expect(i.pairs).toBeGreaterThan(0)
    expect(i.observed).toBeGreaterThan(0)
    expect(i).toMatchObject({ overcount: 0, undercount: 0 })
    expect(r.findings.find((f) => f.kind === 'integrity')).toMatchObject({ ok: true })
    expect(r.thresholds).toEqual([
      { metric: 'integrity', expr: 'overcount == 0', value: 0, ok: true },
      { metric: 'integrity', expr: 'undercount == 0', value: 0, ok: true },
    ])
  })

  it('racy-dedupe: overcount, and the run fails', async () => {
    const r = await runPlan(applyOverrides(scenario(), { builtinFlaws: ['racy-dedupe'] }))
    const i = r.integrity!
    expect(i.overcount).toBeGreaterThan(0)
    expect(i.undercount).toBe(0)
    expect(i.perPost[0]!.overcount).toBeGreaterThan(0)
    expect(i.perPost[0]!.observed).toBeGreaterThan(i.perPost[0]!.expectedMax)
    expect(r.findings.find((f) => f.kind === 'integrity')).toMatchObject({ actor: 'integrity', ok: false })
    expect(r.thresholds[0]).toMatchObject({ expr: 'overcount == 0', ok: false })
    expect(r.verdict).toBe('failed')
    expect(r.reason).toContain('threshold integrity: overcount == 0')
  })
})

describe('integrity read-back against targets whose counts cannot be read', () => {
  const servers: TestServer[] = []
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()))
  })

  const organic = (origin: string) => {
    const r = checkScenarioText(`
name: unreadable
target: { url: "${origin}", warmup: 0s, timeout: 300ms }
posts: { count: 100 }
actors:
  people: { kind: organic, rate: { hold: 20/s, for: 500ms } }
`, 'unreadable.yaml', {})
    return r.plan!
  }

  it('no count in the answer: nothing is checked, the notes say why, and the run is not failed for it', async () => {
    const s = await startServer((req, res) => res.writeHead(req.method === 'GET' ? 200 : 201).end('{}'))
    servers.push(s)
    const r = await runPlan(organic(s.origin))
    expect(r.integrity).toMatchObject({ posts: 0, overcount: 0, undercount: 0 })
    expect(r.integrity!.unread).toBe(r.integrity!.touched)
    expect(r.integrity!.notes.join('; ')).toContain('no number at "likes"')
    expect(r.findings.some((f) => f.kind === 'integrity')).toBe(false)
    expect(r.verdict).toBe('passed')
    // Organic's posts() named the posts: only those were read, once (nothing after the run).
    const reads = s.received.filter((x) => x.method === 'GET')
    expect(reads.length).toBe(r.integrity!.touched)
    expect(reads.length).toBeLessThanOrEqual(10)
    expect(reads[0]!.headers['x-likebench-run']).toMatch(/^[0-9a-f]+\.read$/)
  })

  it('reads that hang: gives up after the first few instead of a timeout per post', async () => {
    const s = await startServer((req, res) => {
      if (req.method !== 'GET') res.writeHead(201).end()
    })
    servers.push(s)
    const plan = organic(s.origin)
    plan.actors[0]!.stages = [{ kind: 'hold', rate: 100, durationMs: 1000 }]
    plan.actors[0]!.durationMs = 1000
    plan.actors[0]!.expectedArrivals = 100
    const started = performance.now()
    const r = await runPlan(plan)
    expect(performance.now() - started).toBeLessThan(5000)
    expect(r.integrity!.posts).toBe(0)
    expect(r.integrity!.notes.join('; ')).toMatch(/8 failed \(timeout\), \d+ not tried after the first reads failed/)
  })
})
