import { describe, expect, it } from 'vitest'
import { toggle } from '../../src/actors/toggle.js'
import { Endpoint, type Outgoing, type Sent } from '../../src/actors/types.js'
import { fakeActorContext } from '../helpers/actor-context.js'

const scenario = (opts: string, extra = '') =>
  `users: { count: 100 }\nposts: { count: 20 }\nactors:\n  t: { kind: toggle, ${opts} rate: { hold: 20/s, for: 10s } }\n${extra}`

function drive(opts: string, arrivals: number, answer?: (req: Outgoing) => Partial<Sent>, gapMs = 50, extra = '') {
  const f = fakeActorContext(scenario(opts, extra), 0, answer)
  const a = toggle(f.ctx)
  for (let n = 0; n < arrivals; n++) a.fire(n, n * gapMs, () => {})
  return { ...f, actor: a }
}

const ok = (status: number): Sent => ({ status, error: null, sentAt: 0, endedAt: 0, bytes: 0, body: undefined })

describe('toggle', () => {
  it('flips each (user, post) pair in turn: like, unlike, like, ...', () => {
    const { sent, actor } = drive('users: 2, posts: [3, 4],', 16)
    const byPair = new Map<string, number[]>()
    sent.forEach(({ req }, n) => {
      expect(actor.identity(n)).toBe(req.user)
      const k = `${req.user}:${req.post}`
      byPair.set(k, [...(byPair.get(k) ?? []), req.endpoint])
    })
    expect(byPair.size).toBe(4)
    for (const eps of byPair.values()) expect(eps).toEqual([Endpoint.like, Endpoint.unlike, Endpoint.like, Endpoint.unlike])
    expect(sent[3]!.req).toMatchObject({ method: 'POST' }) // four pairs: arrivals 0-3 like, 4-7 unlike
    expect(sent[5]!.req).toMatchObject({ method: 'DELETE', path: `/v1/posts/${sent[5]!.req.post}/likes` })
  })

  it('is the same for the same seed; without posts each user flips one post picked by popularity', () => {
    const a = drive('users: 5,', 50)
    const b = drive('users: 5,', 50)
    expect(a.sent.map((s) => [s.req.user, s.req.post, s.req.endpoint])).toEqual(b.sent.map((s) => [s.req.user, s.req.post, s.req.endpoint]))
    expect(new Set(a.sent.map((s) => `${s.req.user}:${s.req.post}`)).size).toBe(5)
  })

  it('sends a pair\'s next flip only once the previous answered, in order', async () => {
    const f = fakeActorContext(scenario('users: 1,'))
    const held: Array<{ ep: number; t: number; cb: (r: Sent) => void }> = []
    f.ctx.send = (req, t, cb) => void held.push({ ep: req.endpoint, t, cb })
    const a = toggle(f.ctx)
    let done = 0
    for (let n = 0; n < 3; n++) a.fire(n, n * 10, () => done++)
    expect(held.map((h) => h.ep)).toEqual([Endpoint.like]) // flips 1 and 2 wait
    f.advance(42)
    held[0]!.cb(ok(201))
    await Promise.resolve()
    expect(held.map((h) => [h.ep, h.t])).toEqual([[Endpoint.like, 0], [Endpoint.unlike, 42]])
    held[1]!.cb(ok(200))
    await Promise.resolve()
    held[2]!.cb(ok(201))
    expect(held.map((h) => h.ep)).toEqual([Endpoint.like, Endpoint.unlike, Endpoint.like])
    expect(done).toBe(3)
    expect(a.findings()[0]!.evidence).toMatchObject({ deferred: 2, expectedNetLikes: 1 })
  })

  it('fires when a spamming user was never throttled, and holds when spam was throttled', () => {
    const spam = drive('users: 1,', 100, () => ({ status: 200 }))
    const [f] = spam.actor.findings()
    expect(f).toMatchObject({ kind: 'toggle', ok: false, evidence: { sent: 100, throttled: 0, maxFlipsPerUser: 100, expectedNetLikes: 0 } })
    expect(f!.message).toMatch(/^none of 100 like\/unlike flips were throttled, though a user flipped 100 times in 5\.0s \(20\/s\), past the built-in default per-user limit \(10 per 10s, burst 5\): no per-user limit on toggling was seen$/)
    let n = 0
    const limited = drive('users: 1,', 100, () => ({ status: n++ < 5 ? 200 : 429 }))
    expect(limited.actor.findings()[0]).toMatchObject({ ok: true, message: 'toggle spam was throttled: 95 of 100 flips (95%)' })
  })

  it('holds when the flips stay within the per-user limit, built-in or declared', () => {
    const slow = drive('users: 4,', 12, () => ({ status: 200 }), 1000)
    expect(slow.actor.findings()[0]).toMatchObject({ ok: true, message: expect.stringMatching(/^flips stayed within the built-in default per-user limit/) })
    const declared = 'policy:\n  - { name: per-user, key: user, limit: 100, per: 1s, on: [like, unlike] }\n'
    const fast = drive('users: 1,', 100, () => ({ status: 200 }), 50, declared)
    expect(fast.actor.findings()[0]).toMatchObject({ ok: true, message: expect.stringMatching(/^flips stayed within policy per-user \(100 per 1s, burst 100\)/) })
  })
})
