import { describe, expect, it } from 'vitest'
import type { SpreadStats } from '../../src/actors/arrivals.js'
import { builtinTarget, findingOf, runYaml } from '../helpers/run-scenario.js'

/**
 * One actor per mode, their schedules offset so their groups never share a moment at the
 * target (the arrival spread of a group is only measured when nothing else lands inside it).
 * Users outnumber arrivals, so each group is a fresh (user, post) pair within the per-user limit.
 */
const doubles = (target: string) => `name: doubles
${target}
users: { count: 1000 }
posts: { count: 50, pick: uniform }
actors:
  seq:   { kind: duplicate, copies: 2, mode: sequential, rate: { hold: 5/s, for: 1s } }
  burst: { kind: duplicate, copies: 4, mode: burst, start: 60ms, rate: { hold: 5/s, for: 1s } }
  race:  { kind: duplicate, copies: 5, mode: race, start: 130ms, rate: { hold: 5/s, for: 1s } }
`

describe('duplicate against the built-in target', () => {
  it('holds on the sound target in every mode: one 201 per group', async () => {
    const r = await runYaml(doubles(builtinTarget()))
    for (const name of ['seq', 'burst', 'race']) {
      const f = findingOf(r, name)
      expect(f.ok, f.message).toBe(true)
      expect(f.evidence).toMatchObject({ groups: 5, overCounted: 0, created: 5, failed: 0 })
    }
    // Race copies are recorded like any other request: 5 groups × 5 copies, each timed from its release.
    expect(r.actors.race).toMatchObject({ requests: 25, responses: 25, errors: 0 })
    expect(r.actors.race!.latency.sendLag.max).toBeLessThan(1)
    const spread = findingOf(r, 'race').evidence.arrivalSpread as SpreadStats
    expect(spread.groups).toBe(5)
    expect(spread.measured).toBeGreaterThanOrEqual(3)
    expect(spread.medianMs).toBeLessThan(20) // a loose bound: the copies landed together, not one per round trip
  })

  it('fires for burst and race with racy-dedupe: concurrent copies all count', async () => {
    const r = await runYaml(doubles(builtinTarget(['racy-dedupe'])))
    expect(findingOf(r, 'seq').ok).toBe(true)
    for (const name of ['burst', 'race']) {
      const f = findingOf(r, name)
      expect(f.ok).toBe(false)
      expect(f.evidence.overCounted as number).toBeGreaterThanOrEqual(3) // most of the 5 groups
      expect(f.evidence.extraLikes as number).toBeGreaterThanOrEqual(f.evidence.overCounted as number)
      expect(f.message).toMatch(new RegExp(`^\\d of 5 groups of \\d ${name} copies counted the same like more than once: \\d+ extra likes`))
    }
  })

  it('fires for sequential copies with no-dedupe: a repeat counts again', async () => {
    const f = findingOf(await runYaml(doubles(builtinTarget(['no-dedupe']))), 'seq')
    expect(f.ok).toBe(false)
    expect(f.evidence).toMatchObject({ groups: 5, overCounted: 5, extraLikes: 5, created: 10 })
  })
})
