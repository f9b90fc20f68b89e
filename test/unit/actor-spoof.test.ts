import { describe, expect, it } from 'vitest'
import { spoof } from '../../src/actors/spoof.js'
import type { Outgoing, Sent } from '../../src/actors/types.js'
import { fakeActorContext } from '../helpers/actor-context.js'

const scenario = (opts: string, extra = '') =>
  `users: { count: 1000 }\nposts: { count: 20 }\nactors:\n  s: { kind: spoof, ${opts} rate: { hold: 600/s, for: 1s } }\n${extra}`
const POLICY = 'policy:\n  - { name: per-ip, key: ip, limit: 100, per: 1s }\n'

function drive(opts: string, arrivals: number, answer?: (req: Outgoing) => Partial<Sent>, extra = '') {
  const f = fakeActorContext(scenario(opts, extra), 0, answer)
  const a = spoof(f.ctx)
  for (let n = 0; n < arrivals; n++) a.fire(n, n * (1000 / 600), () => {})
  return { ...f, actor: a }
}

const NAMES = ['x-forwarded-for', 'x-real-ip', 'forwarded']
/** claim returns the forwarding header a request carries (exactly one) as [name, value]. */
function claim(req: Outgoing): [string, string] {
  const h = req.headers as string[]
  const found = NAMES.filter((n) => h.includes(n))
  expect(found).toHaveLength(1)
  return [found[0]!, h[h.indexOf(found[0]!) + 1]!]
}

describe('spoof', () => {
  it('rotates the forwarding header and the claimed address on every request, from the benchmarking range', () => {
    const { sent, users } = drive('', 9)
    expect(sent.map((s) => claim(s.req))).toEqual([
      ['x-forwarded-for', '198.18.0.1'], ['x-real-ip', '198.18.0.2'], ['forwarded', 'for=198.18.0.3'],
      ['x-forwarded-for', '198.18.0.4'], ['x-real-ip', '198.18.0.5'], ['forwarded', 'for=198.18.0.6'],
      ['x-forwarded-for', '198.18.0.7'], ['x-real-ip', '198.18.0.8'], ['forwarded', 'for=198.18.0.9'],
    ])
    for (const { req } of sent) {
      // The real source is the generator's own address, whatever the header claims.
      expect(req).toMatchObject({ source: 0, ip: -1, method: 'POST', token: req.user })
      const h = req.headers as string[]
      expect(h[h.indexOf('authorization') + 1]).toBe(`Bearer ${users.token(req.user)}`)
    }
  })

  it('keeps to the chosen headers, addresses, accounts and posts, and is the same for the same seed', () => {
    const a = drive('headers: [x-real-ip], ips: 3, accounts: 2, posts: [5],', 12)
    expect(new Set(a.sent.map((s) => claim(s.req).join('=')))).toEqual(new Set(['x-real-ip=198.18.0.1', 'x-real-ip=198.18.0.2', 'x-real-ip=198.18.0.3']))
    expect(new Set(a.sent.map((s) => s.req.user)).size).toBe(2)
    expect(new Set(a.sent.map((s) => s.req.post))).toEqual(new Set([5]))
    a.sent.forEach((s, n) => expect(a.actor.identity(n)).toBe(s.req.user))
    const b = drive('headers: [x-real-ip], ips: 3, accounts: 2, posts: [5],', 12)
    expect(b.sent.map((s) => [s.req.user, s.req.post, ...claim(s.req)])).toEqual(a.sent.map((s) => [s.req.user, s.req.post, ...claim(s.req)]))
  })

  it('fires when nothing was throttled though one source passed the per-IP limit', () => {
    const { actor } = drive('', 600, () => ({ status: 201 }), POLICY)
    const [f] = actor.findings()
    expect(f).toMatchObject({ kind: 'spoof', ok: false, evidence: { sent: 600, admitted: 600, throttled: 0, addresses: 600 } })
    expect(f!.message).toMatch(/^none of 600 requests with rotating forwarding headers were throttled, though from one real address they passed policy per-ip \(100 per 1s, burst 100\)/)
    expect(f!.evidence.perHeader).toEqual({
      'x-forwarded-for': { sent: 200, admitted: 200, throttled: 0 }, 'x-real-ip': { sent: 200, admitted: 200, throttled: 0 }, forwarded: { sent: 200, admitted: 200, throttled: 0 },
    })
  })

  it('fires when far more was admitted than one source may get, even with some throttling', () => {
    let n = 0
    const { actor } = drive('', 600, () => ({ status: n++ % 10 === 0 ? 429 : 201 }), POLICY)
    expect(actor.findings()[0]).toMatchObject({ ok: false, message: expect.stringMatching(/^540 of 600 .* admitted in 1\.0s from one real address, above the ~200 that policy per-ip/) })
  })

  it('holds when the spoofer got about what one source may get, or stayed within it', () => {
    let n = 0
    const limited = drive('', 600, () => ({ status: n++ < 200 ? 201 : 429 }), POLICY)
    expect(limited.actor.findings()[0]).toMatchObject({ ok: true, message: expect.stringMatching(/^rotating forwarding headers did not dodge the per-source limit: 400 of 600/) })
    const quiet = drive('', 50, () => ({ status: 201 }))
    expect(quiet.actor.findings()[0]).toMatchObject({ ok: true, message: expect.stringMatching(/^stayed within the built-in default per-IP limit/) })
  })
})
