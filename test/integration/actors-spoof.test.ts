import { describe, expect, it } from 'vitest'
import { builtinTarget, findingOf, runYaml } from '../helpers/run-scenario.js'

/**
 * 600 likes in 1 s from one real address claiming 600 others, by 300 accounts (2 each, within
 * the built-in per-user burst of 5, so only the per-IP limit decides). The target's per-IP
 * limit is 100/s; the scenario declares it, so the finding judges against it.
 */
const spoofer = (target: string) => `name: spoofer
${target}
users: { count: 1000 }
posts: { count: 100 }
actors:
  spoofer: { kind: spoof, accounts: 300, rate: { hold: 600/s, for: 1s } }
policy:
  - { name: per-ip, key: ip, limit: 100, per: 1s }
`

describe('spoof against the built-in target', () => {
  it('holds on the sound target: the per-IP limit keys on the socket, whatever the headers say', async () => {
    const f = findingOf(await runYaml(spoofer(builtinTarget([], ['ip=100/1s']))), 'spoofer')
    expect(f.ok, f.message).toBe(true)
    // One source gets its burst of 100 plus ~100 more over the second; a late schedule refills a little more.
    expect(f.evidence.admitted as number).toBeLessThan(320)
    expect(f.evidence.throttled as number).toBeGreaterThan(250)
  })

  it('fires with trust-forwarded: rotating the header dodges the per-IP limit', async () => {
    const f = findingOf(await runYaml(spoofer(builtinTarget(['trust-forwarded'], ['ip=100/1s']))), 'spoofer')
    expect(f.ok).toBe(false)
    expect(f.evidence).toMatchObject({ sent: 600, admitted: 600, throttled: 0, addresses: 600 })
    expect(f.evidence.perHeader).toEqual({
      'x-forwarded-for': { sent: 200, admitted: 200, throttled: 0 },
      'x-real-ip': { sent: 200, admitted: 200, throttled: 0 },
      forwarded: { sent: 200, admitted: 200, throttled: 0 },
    })
    expect(f.message).toMatch(/the per-IP limit follows the headers$/)
  })
})
