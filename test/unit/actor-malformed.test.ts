import { describe, expect, it } from 'vitest'
import { INPUTS, malformed, OVERSIZED_BYTES } from '../../src/actors/malformed.js'
import { Endpoint, type Outgoing, type Sent } from '../../src/actors/types.js'
import { fakeActorContext } from '../helpers/actor-context.js'

const scenario = (opts = '') => `users: { count: 100 }\nposts: { count: 20 }\nactors:\n  m: { kind: malformed, ${opts} rate: { hold: 10/s, for: 10s } }\n`

function drive(opts: string, arrivals: number, answer?: (req: Outgoing) => Partial<Sent>) {
  const f = fakeActorContext(scenario(opts), 0, answer)
  const a = malformed(f.ctx)
  for (let n = 0; n < arrivals; n++) a.fire(n, n * 100, () => {})
  return { ...f, actor: a }
}

const header = (req: Outgoing, name: string) => {
  const h = req.headers as string[]
  return h.includes(name) ? h[h.indexOf(name) + 1] : undefined
}
const segment = (req: Outgoing) => req.path.slice('/v1/posts/'.length, -'/likes'.length)

describe('malformed', () => {
  it('sends every input of every variant, as a valid user, and says which user', () => {
    const { sent, users, actor } = drive('', 6 * 6)
    const seen = new Set<string>()
    sent.forEach(({ req }, n) => {
      expect(actor.identity(n)).toBe(req.user)
      expect(header(req, 'authorization')).toBe(`Bearer ${users.token(req.user)}`)
      expect(req.method).toBe('POST')
      seen.add(req.body === null ? segment(req) : Buffer.isBuffer(req.body) ? 'oversized' : req.body!)
    })
    const expected = Object.entries(INPUTS).flatMap(([v, inputs]) => (v === 'oversized' ? ['oversized'] : inputs))
    expect([...seen].sort()).toEqual([...expected].sort())
  })

  it('puts bad ids in the post slot, and bad bodies on a real post with content-type JSON', () => {
    const { sent } = drive('', 6)
    const [badId, hugeId, traversal, injection, badJson, oversized] = sent.map((s) => s.req)
    expect(badId).toMatchObject({ endpoint: Endpoint.other, post: 0, body: null, path: '/v1/posts/abc/likes' })
    expect(segment(hugeId!)).toMatch(/^9{10000}$/)
    expect(traversal!.path).toBe('/v1/posts/..%2F..%2Fetc%2Fpasswd/likes')
    expect(injection!.path).toBe("/v1/posts/1'%20OR%20'1'%3D'1/likes")
    expect(badJson).toMatchObject({ endpoint: Endpoint.like, body: '{"liked": tru', path: `/v1/posts/${badJson!.post}/likes` })
    expect(badJson!.post).toBeGreaterThan(0)
    expect(() => JSON.parse(badJson!.body as string)).toThrow()
    expect(header(badJson!, 'content-type')).toBe('application/json')
    const big = oversized!.body as Buffer
    expect(big.length).toBe(OVERSIZED_BYTES)
    expect(big.length).toBeGreaterThan(1024 * 1024)
    expect(JSON.parse(big.toString()).pad).toHaveLength(OVERSIZED_BYTES - 10)
  })

  it('keeps to the chosen variants and is the same for the same seed', () => {
    const a = drive('variants: [injection, bad-json],', 20)
    const b = drive('variants: [injection, bad-json],', 20)
    expect(a.sent.map((s) => [s.req.user, s.req.path, s.req.body])).toEqual(b.sent.map((s) => [s.req.user, s.req.path, s.req.body]))
    expect(new Set(a.sent.map((s) => s.req.endpoint))).toEqual(new Set([Endpoint.other, Endpoint.like]))
  })

  it('holds on 4xx, and fires with the inputs that crashed or were accepted', () => {
    expect(drive('', 12, () => ({ status: 400 })).actor.findings()[0]).toMatchObject({ kind: 'malformed', ok: true, message: 'all 12 answered bad inputs were refused (4xx)' })
    const { actor } = drive('variants: [bad-id, huge-id, bad-json],', 6, (req) => ({ status: req.body === null ? 500 : 201 }))
    const [f] = actor.findings()
    expect(f).toMatchObject({ ok: false, message: '4 inputs crashed the server (5xx), 2 were accepted (2xx) of 6 bad inputs' })
    expect(f!.evidence.inputs).toEqual({
      'bad-id abc → 500': 1, 'bad-id -1 → 500': 1, 'huge-id 999999999999…(10000 chars) → 500': 1, 'huge-id 100000000000000000000 → 500': 1,
      'bad-json {"liked": tru → 201': 1, 'bad-json { → 201': 1,
    })
  })

  it('reports throttled requests as untested and transport failures apart', () => {
    const { actor } = drive('variants: [oversized],', 4, () => ({ status: 0, error: 'reset' }))
    expect(actor.findings()[0]).toMatchObject({ ok: true, message: 'all 0 answered bad inputs were refused (4xx); 4 ended without an answer' })
    expect(drive('', 3, () => ({ status: 429 })).actor.findings()[0]!.message).toMatch(/3 throttled before validation \(not tested\)$/)
  })
})
