import { describe, expect, it } from 'vitest'
import type { Outgoing, Sent } from '../../src/actors/types.js'
import { forgeToken, unauthenticated } from '../../src/actors/unauthenticated.js'
import { claimedUser, verifyToken } from '../../src/target/token.js'
import { fakeActorContext } from '../helpers/actor-context.js'

const scenario = (opts = '') => `users: { count: 100 }\nposts: { count: 20 }\nactors:\n  u: { kind: unauthenticated, ${opts} rate: { hold: 10/s, for: 10s } }\n`

function drive(opts: string, arrivals: number, answer?: (req: Outgoing) => Partial<Sent>) {
  const f = fakeActorContext(scenario(opts), 0, answer)
  const a = unauthenticated(f.ctx)
  for (let n = 0; n < arrivals; n++) a.fire(n, n * 100, () => {})
  return { ...f, actor: a }
}

const auth = (req: Outgoing) => {
  const h = req.headers as string[]
  const i = h.indexOf('authorization')
  return i < 0 ? undefined : h[i + 1]!.replace(/^Bearer /, '')
}

describe('unauthenticated', () => {
  it('sends every variant in turn, none with a valid token or a user', () => {
    const { sent, users, actor } = drive('', 30)
    sent.forEach(({ req }, n) => {
      expect(req).toMatchObject({ user: -1, token: -1, ip: -1, method: 'POST', path: `/v1/posts/${req.post}/likes` })
      const token = auth(req)
      const claimed = actor.identity(n)
      switch (n % 3) {
        case 0: // missing
          expect(token).toBeUndefined()
          break
        case 1: // bad-signature: the claim is the user's, the signature is not
          expect(claimedUser(token!)).toBe(users.id(claimed))
          expect(verifyToken('secret', token!)).toBeUndefined()
          expect(token).not.toBe(users.token(claimed))
          break
        case 2: { // other-user: claims B, signed as someone else
          expect(claimedUser(token!)).toBe(users.id(claimed))
          expect(verifyToken('secret', token!)).toBeUndefined()
          const sig = token!.slice(token!.indexOf('.') + 1)
          const signer = Array.from({ length: 100 }, (_, i) => i).find((i) => users.token(i).endsWith(`.${sig}`))
          expect(signer).toBeDefined()
          expect(signer).not.toBe(claimed)
        }
      }
      const h = req.headers as string[]
      expect(h.slice(0, 4)).toEqual(['user-agent', expect.stringMatching(/^likebench\//), 'x-likebench-run', 'run-1'])
    })
  })

  it('keeps to the chosen variants and is the same for the same seed', () => {
    const a = drive('variants: [other-user],', 20)
    const b = drive('variants: [other-user],', 20)
    expect(a.sent.map((s) => [s.req.post, auth(s.req)])).toEqual(b.sent.map((s) => [s.req.post, auth(s.req)]))
    expect(a.sent.every((s) => auth(s.req) !== undefined)).toBe(true)
  })

  it('forges tokens from the parts of a valid one', () => {
    expect(forgeToken('missing', 'u1.abcdef', 'u9')).toBe('')
    expect(forgeToken('bad-signature', 'u1.abcdef', 'u9')).toBe('u1.AAAAAA')
    expect(forgeToken('bad-signature', 'u1.Abc', 'u9')).toBe('u1.BBB')
    expect(forgeToken('other-user', 'u1.abcdef', 'u9')).toBe('u9.abcdef')
  })

  it('holds when every request is refused, and fires per variant on any 2xx', () => {
    expect(drive('', 30, () => ({ status: 401 })).actor.findings()[0]).toMatchObject({
      kind: 'unauthenticated', ok: true, message: 'all 30 answered requests without valid credentials were refused (401/403: 30, other 4xx: 0)',
    })
    const { actor } = drive('', 30, (req) => ({ status: auth(req) === undefined ? 401 : 201 }))
    const [f] = actor.findings()
    expect(f).toMatchObject({ ok: false, message: '20 of 30 requests without valid credentials were accepted (2xx): missing 0, bad-signature 10, other-user 10' })
    expect(f!.evidence.variants).toMatchObject({ missing: { sent: 10, refused: 10 }, 'bad-signature': { accepted: 10 } })
  })

  it('counts requests throttled before authentication as not tested', () => {
    const { actor } = drive('', 6, () => ({ status: 429 }))
    expect(actor.findings()[0]).toMatchObject({ ok: true, message: expect.stringMatching(/6 throttled before authentication \(not tested\)$/) })
  })
})
