import { describe, expect, it } from 'vitest'
import { runPlan } from '../../src/engine/runner.js'
import { loadScenario } from '../../src/scenarios/loader.js'
import { applyOverrides } from '../../src/scenarios/overrides.js'

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
