import { describe, expect, it } from 'vitest'
import { flood } from '../../src/actors/flood.js'
import { Endpoint, type Outgoing } from '../../src/actors/types.js'
import { fakeActorContext } from '../helpers/actor-context.js'

const scenario = (opts: string, extra = '') =>
  `users: { count: 1000 }\nposts: { count: 50 }\nactors:\n  farm: { kind: flood, ${opts}, rate: { hold: 100/s, for: 10s } }\n${extra}`

function drive(opts: string, arrivals: number, answer?: (req: Outgoing) => { status: number }, extra = '') {
  const f = fakeActorContext(scenario(opts, extra), 0, answer)
  const a = flood(f.ctx)
  for (let n = 0; n < arrivals; n++) a.fire(n, n * 10, () => {})
  return { ...f, actor: a }
}

const header = (req: Outgoing, name: string) => {
  const h = req.headers as string[]
  const i = h.indexOf(name)
  return i < 0 ? undefined : h[i + 1]
}

describe('flood', () => {
  it('is the same for the same seed, and its identity is the address each arrival comes from', () => {
    const a = drive('accounts: 40, ips: { count: 4, via: source }, posts: [7, 9]', 200)
    const b = drive('accounts: 40, ips: { count: 4, via: source }, posts: [7, 9]', 200)
    const key = (s: { req: Outgoing }) => [s.req.user, s.req.post, s.req.source, s.req.ip, s.req.path]
    expect(a.sent.map(key)).toEqual(b.sent.map(key))
    // The address is the identity (workers split by it): every account on an address goes with it.
    a.sent.forEach((s, n) => expect(a.actor.identity(n)).toBe(s.req.ip))
    expect(new Set(a.sent.map((s) => s.req.ip)).size).toBe(4)
  })

  it('spreads the farm over its accounts, and an account always comes from the same address', () => {
    const { sent } = drive('accounts: 40, ips: { count: 4, via: source }, posts: [7]', 400)
    const ipOf = new Map<number, number>()
    for (const { req } of sent) {
      expect(ipOf.get(req.user) ?? req.ip).toBe(req.ip)
      ipOf.set(req.user, req.ip)
      expect(req).toMatchObject({ endpoint: Endpoint.like, method: 'POST', path: '/v1/posts/7/likes', token: req.user })
    }
    expect(ipOf.size).toBe(40)
    expect(new Set(ipOf.values())).toEqual(new Set([0, 1, 2, 3]))
  })

  it('binds each address to its own pool for via: source', () => {
    const { sent, sources } = drive('accounts: 8, ips: { count: 4, via: source }, posts: [7]', 16)
    // 127.0.0.1 is where every other actor sends from: the farm's addresses start after it.
    expect(sources).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'])
    for (const { req } of sent) expect(sources[req.source - 1]).toBe(`127.0.0.${req.ip + 2}`)
  })

  it('uses the target\'s local addresses when the scenario lists them', () => {
    const f = fakeActorContext(scenario('accounts: 4, ips: { count: 2, via: source }').replace('users:', 'target: { url: builtin, localAddresses: [127.0.0.9, 127.0.0.10] }\nusers:'))
    const a = flood(f.ctx)
    for (let n = 0; n < 4; n++) a.fire(n, n, () => {})
    expect(f.sources).toEqual(['127.0.0.9', '127.0.0.10'])
  })

  it.each([
    ['x-forwarded-for', (i: number) => `198.18.0.${i + 1}`],
    ['x-real-ip', (i: number) => `198.18.0.${i + 1}`],
    ['forwarded', (i: number) => `for=198.18.0.${i + 1}`],
  ] as const)('names the address in %s instead of binding it', (via, value) => {
    const { sent, users, sources } = drive(`accounts: 6, ips: { count: 3, via: ${via} }, posts: [7]`, 12)
    expect(sources).toEqual([])
    for (const { req } of sent) {
      expect(req.source).toBe(0)
      expect(header(req, via)).toBe(value(req.ip))
      expect(header(req, 'authorization')).toBe(`Bearer ${users.token(req.user)}`)
      expect(header(req, 'x-likebench-run')).toBe('run-1')
    }
  })

  it('likes every post of the list in turn', () => {
    const { sent } = drive('accounts: 10, ips: { count: 2, via: source }, posts: [3, 4, 5]', 30)
    expect(sent.map((s) => s.req.post)).toEqual([...Array(10).fill(3), ...Array(10).fill(4), ...Array(10).fill(5)])
  })

  it('fires when a farm past the limits was not throttled at all, and holds when it was', () => {
    const open = drive('accounts: 10, ips: { count: 2, via: source }', 500, () => ({ status: 201 }))
    const [f] = open.actor.findings()
    expect(f).toMatchObject({ kind: 'flood', ok: false, evidence: { sent: 500, admitted: 500, throttled: 0 } })
    expect(f!.message).toMatch(/^none of 500 farm requests were throttled: 500 admitted \(100%\) from 10 accounts on 2 source addresses, though the farm passed the built-in default per-user limit/)
    expect((f!.evidence.perIp as unknown[])[0]).toEqual({ ip: '127.0.0.2', sent: 250, admitted: 250, throttled: 0 })

    const limited = drive('accounts: 10, ips: { count: 2, via: source }', 500, (req) => ({ status: req.ip === 0 ? 429 : 201 }))
    expect(limited.actor.findings()[0]).toMatchObject({ ok: true, message: expect.stringMatching(/^the farm was throttled: 250 of 500/) })
  })

  it('holds when the farm stayed within the declared policy', () => {
    const policy = 'policy:\n  - { name: per-ip, key: ip, limit: 1000, per: 1s }\n'
    const quiet = drive('accounts: 10, ips: { count: 2, via: source }', 50, () => ({ status: 201 }), policy)
    expect(quiet.actor.findings()[0]).toMatchObject({ ok: true, message: expect.stringMatching(/^the farm stayed within policy per-ip/) })
  })
})
