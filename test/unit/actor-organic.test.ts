import { describe, expect, it } from 'vitest'
import { organic } from '../../src/actors/organic.js'
import { Endpoint } from '../../src/actors/types.js'
import { fakeActorContext } from '../helpers/actor-context.js'

const scenario = (users: number, extra = '') => `users: { count: ${users} }\nposts: { count: 50 }\nactors:\n  o: { kind: organic, unlikeRatio: 20%, ${extra} rate: { hold: 100/s, for: 30s } }\n`

function drive(users: number, arrivals: number, extra = '') {
  const f = fakeActorContext(scenario(users, extra))
  const a = organic(f.ctx)
  for (let n = 0; n < arrivals; n++) a.fire(n, n, () => {})
  return { ...f, actor: a }
}

describe('organic', () => {
  it('likes each (user, post) at most once, and unlikes only what it liked before', () => {
    const { sent } = drive(300, 3000)
    const liked = new Set<string>()
    const unliked = new Set<string>()
    for (const { req } of sent) {
      const pair = `${req.user}:${req.post}`
      if (req.endpoint === Endpoint.like) {
        expect(liked.has(pair), `second like of ${pair}`).toBe(false)
        liked.add(pair)
      } else {
        expect(req.endpoint).toBe(Endpoint.unlike)
        expect(liked.has(pair), `unlike of ${pair} before its like`).toBe(true)
        expect(unliked.has(pair), `second unlike of ${pair}`).toBe(false)
        unliked.add(pair)
      }
    }
    const ratio = unliked.size / liked.size
    expect(ratio).toBeGreaterThan(0.12)
    expect(ratio).toBeLessThan(0.22)
  })

  it('spreads first likes over every user before any user likes twice', () => {
    const { sent } = drive(200, 150)
    const firstRound = sent.filter((s) => s.req.endpoint === Endpoint.like).map((s) => s.req.user)
    expect(new Set(firstRound).size).toBe(firstRound.length)
  })

  it('says which identity each arrival acts as, and is the same for the same seed', () => {
    const a = drive(500, 1000)
    const b = drive(500, 1000)
    expect(a.sent.map((s) => [s.req.user, s.req.post, s.req.endpoint])).toEqual(b.sent.map((s) => [s.req.user, s.req.post, s.req.endpoint]))
    a.sent.forEach((s, n) => expect(a.actor.identity(n)).toBe(s.req.user))
  })

  it('sends valid requests for the built-in target', () => {
    const { sent, users } = drive(10, 1)
    expect(sent[0]!.req).toMatchObject({ method: 'POST', path: `/v1/posts/${sent[0]!.req.post}/likes`, body: null })
    expect(sent[0]!.req.headers).toEqual(['user-agent', expect.stringMatching(/^likebench\//), 'x-likebench-run', 'run-1', 'authorization', `Bearer ${users.token(sent[0]!.req.user)}`])
  })

  it('reads counts when asked to', () => {
    const { sent } = drive(100, 2000, 'readRatio: 25%,')
    const reads = sent.filter((s) => s.req.endpoint === Endpoint.read)
    expect(reads.length / 2000).toBeGreaterThan(0.2)
    expect(reads.length / 2000).toBeLessThan(0.3)
    expect(reads[0]!.req).toMatchObject({ method: 'GET', path: `/v1/posts/${reads[0]!.req.post}` })
  })

  it('finds nothing wrong when all is served, and names what was not', () => {
    const good = drive(50, 100)
    expect(good.actor.findings()).toEqual([expect.objectContaining({ ok: true, message: 'all 100 ordinary requests were served' })])
    const f = fakeActorContext(scenario(50), 0, (req) => ({ status: req.user % 2 ? 429 : 201 }))
    const a = organic(f.ctx)
    for (let n = 0; n < 100; n++) a.fire(n, n, () => {})
    const [finding] = a.findings()
    expect(finding!.ok).toBe(false)
    expect(finding!.message).toMatch(/^\d+ throttled of 100 ordinary requests$/)
  })
})
