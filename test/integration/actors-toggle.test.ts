import { describe, expect, it } from 'vitest'
import { builtinTarget, findingOf, runYaml } from '../helpers/run-scenario.js'

/** Two users flipping one post each at 20 flips/s per user for 1.5 s: spam by the built-in per-user default (burst 5, 1/s). */
const flips = (target: string) => `name: flips
${target}
users: { count: 100 }
posts: { count: 20 }
actors:
  flipper: { kind: toggle, users: 2, posts: [4], rate: { hold: 40/s, for: 1500ms } }
`

describe('toggle against the built-in target', () => {
  it('holds on the sound target: the spam is throttled', async () => {
    const f = findingOf(await runYaml(flips(builtinTarget())), 'flipper')
    expect(f.ok).toBe(true)
    expect(f.message).toMatch(/^toggle spam was throttled: \d+ of 60 flips/)
    expect(f.evidence.throttled as number).toBeGreaterThan(40)
  })

  it('fires with no-rate-limit: not one flip throttled, and the pairs end where they started', async () => {
    const f = findingOf(await runYaml(flips(builtinTarget(['no-rate-limit']))), 'flipper')
    expect(f.ok).toBe(false)
    expect(f.evidence).toMatchObject({ sent: 60, admitted: 60, throttled: 0, users: 2, pairs: 2, maxFlipsPerUser: 30, expectedNetLikes: 0 })
    expect(f.message).toMatch(/no per-user limit on toggling was seen$/)
  })
})
