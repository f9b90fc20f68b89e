import { describe, expect, it } from 'vitest'
import { builtinTarget, findingOf, runYaml } from '../helpers/run-scenario.js'

const noCreds = (target: string) => `name: no-creds
${target}
users: { count: 100 }
posts: { count: 20 }
actors:
  intruder: { kind: unauthenticated, rate: { hold: 30/s, for: 1s } }
`

describe('unauthenticated against the built-in target', () => {
  it('holds on the sound target: every variant answered 401', async () => {
    const f = findingOf(await runYaml(noCreds(builtinTarget())), 'intruder')
    expect(f.ok).toBe(true)
    expect(f.evidence).toMatchObject({ sent: 30, accepted: 0, refused: 30 })
  })

  it('fires with no-auth: missing, forged and other-user tokens all accepted', async () => {
    const f = findingOf(await runYaml(noCreds(builtinTarget(['no-auth']))), 'intruder')
    expect(f.ok).toBe(false)
    const v = f.evidence.variants as Record<string, { sent: number; accepted: number; throttled: number }>
    for (const name of ['missing', 'bad-signature', 'other-user']) {
      expect(v[name]!.sent).toBe(10)
      expect(v[name]!.accepted + v[name]!.throttled).toBe(10) // "anonymous" shares one per-user bucket
      expect(v[name]!.accepted).toBeGreaterThan(0)
    }
    expect(f.message).toMatch(/^\d+ of 30 requests without valid credentials were accepted \(2xx\): missing \d+, bad-signature 10, other-user 10/)
  })
})
