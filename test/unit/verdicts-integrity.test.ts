import { describe, expect, it } from 'vitest'
import { Endpoint, type Outgoing } from '../../src/actors/types.js'
import type { Outcome } from '../../src/transport/send.js'
import { IntegrityLedger, integrityFinding, integrityResult } from '../../src/verdicts/integrity.js'
import { countAt } from '../../src/verdicts/reads.js'

function ledger(posts = [1, 2, 3]): IntegrityLedger {
  const watched = new Uint8Array(10)
  for (const p of posts) watched[p] = 1
  return new IntegrityLedger(watched, [429])
}

function op(l: IntegrityLedger, kind: 'like' | 'unlike', user: number, post: number, sentAt: number, endedAt: number, status: number, over: Partial<Outcome> = {}, mark = 0, req: Partial<Outgoing> = {}): void {
  const r: Outgoing = {
    method: kind === 'like' ? 'POST' : 'DELETE', path: '/', headers: [], endpoint: kind === 'like' ? Endpoint.like : Endpoint.unlike,
    source: 0, user, post, ip: -1, token: user, ...req,
  }
  l.done(r, { status, error: null, sentAt, endedAt, bytes: 0, body: undefined, ...over }, sentAt, 0, mark)
}

const range = (l: IntegrityLedger, post: number) => l.ranges().get(post)

describe('the integrity ledger', () => {
  it('follows sequential likes and unlikes to one final state', () => {
    const l = ledger()
    op(l, 'like', 1, 1, 0, 1, 201)
    op(l, 'like', 2, 1, 0, 1, 201)
    op(l, 'like', 3, 1, 0, 1, 201)
    op(l, 'unlike', 3, 1, 2, 3, 200)
    expect(range(l, 1)).toEqual({ min: 2, max: 2, ambiguous: 0, pairs: 3 })
  })

  it('counts a user\'s duplicate likes once, however many were answered 2xx', () => {
    const l = ledger()
    for (let i = 0; i < 20; i++) op(l, 'like', 7, 2, 0, 5, 201)
    expect(range(l, 2)).toEqual({ min: 1, max: 1, ambiguous: 0, pairs: 1 })
  })

  it.each([
    ['a throttled like', 429, null, 0],
    ['a rejected like', 401, null, 0],
    ['a redirect', 302, null, 0],
  ])('%s changes nothing', (_name, status, error, max) => {
    const l = ledger()
    op(l, 'like', 1, 3, 0, 1, status, { error })
    expect(range(l, 3)?.max ?? 0).toBe(max)
  })

  it.each([
    ['timeout', { status: 0, error: 'timeout' as const }],
    ['reset', { status: 0, error: 'reset' as const }],
    ['likebench\'s own abort', { status: 0, error: 'aborted' as const }],
    ['a 5xx', { status: 503, error: null }],
  ])('a like that may have applied (%s) makes the pair ambiguous', (_name, over) => {
    const l = ledger()
    op(l, 'like', 1, 1, 0, 5000, over.status, over)
    expect(range(l, 1)).toEqual({ min: 0, max: 1, ambiguous: 1, pairs: 1 })
  })

  it('keeps a maybe open: a later unlike cannot be sure to be the last', () => {
    const l = ledger()
    op(l, 'like', 1, 1, 0, 5000, 0, { error: 'timeout' })
    op(l, 'unlike', 1, 1, 6000, 6001, 200)
    expect(range(l, 1)).toMatchObject({ min: 0, max: 1, ambiguous: 1 })
  })

  it('a like and an unlike in flight together leave the order (and the state) open', () => {
    const l = ledger()
    op(l, 'unlike', 1, 1, 5, 8, 200) // answered first
    op(l, 'like', 1, 1, 0, 10, 201) // sent before the unlike ended
    expect(range(l, 1)).toMatchObject({ min: 0, max: 1, ambiguous: 1 })
  })

  it('ignores requests never written, unwatched posts, reads and requests of no user', () => {
    const l = ledger([1])
    op(l, 'like', 1, 1, 0, 1, 0, { error: 'timeout' }, -1)
    op(l, 'like', 1, 5, 0, 1, 201)
    op(l, 'like', -1, 1, 0, 1, 201, {}, 0, { token: -1 })
    const read: Outgoing = { method: 'GET', path: '/', headers: [], endpoint: Endpoint.read, source: 0, user: 1, post: 1, ip: -1, token: 1 }
    l.done(read, { status: 200, error: null, sentAt: 0, endedAt: 1, bytes: 0, body: undefined }, 0, 0, 0)
    expect(l.ranges().size).toBe(0)
  })

  it('attributes a like to the user its token speaks for', () => {
    const l = ledger()
    op(l, 'like', 1, 1, 0, 1, 201, {}, 0, { token: 2 })
    op(l, 'like', 2, 1, 2, 3, 201)
    expect(range(l, 1)).toMatchObject({ min: 1, max: 1, pairs: 1 })
  })
})

describe('the read-back', () => {
  it('puts each count against its range: overcount and undercount are the distances outside it', () => {
    const l = ledger()
    op(l, 'like', 1, 1, 0, 1, 201) // post 1: 0 + [1, 1]
    op(l, 'like', 1, 2, 0, 1, 201) // post 2: 5 + [1, 2]
    op(l, 'like', 2, 2, 0, 100, 0, { error: 'timeout' })
    const r = integrityResult({
      touched: [1, 2, 3, 4], ledger: l, notes: [],
      before: new Map([[1, 0], [2, 5], [3, 0], [4, undefined]]),
      after: new Map([[1, 4], [2, 5], [3, 0], [4, 9]]),
    })
    expect(r).toMatchObject({ posts: 3, touched: 4, unread: 1, pairs: 3, ambiguous: 1, expectedMin: 0 + 1 + 6 + 0, expectedMax: 1 + 7 + 0, observed: 9, overcount: 3, undercount: 1 })
    expect(r.perPost.map((p) => p.post)).toEqual([1, 2, 3])
    expect(r.perPost[0]).toMatchObject({ post: 1, before: 0, observed: 4, expectedMin: 1, expectedMax: 1, overcount: 3 })
    expect(r.notes[0]).toMatch(/1 of 4 touched posts could not be read/)
    const [f] = integrityFinding(r)
    expect(f).toMatchObject({ actor: 'integrity', kind: 'integrity', ok: false })
    expect(f!.message).toContain('overcount 3, undercount 1 over 3 posts; worst post 1: 4 likes, expected 1')
  })

  it('passes when every count is in range, and says nothing when no count could be read', () => {
    const l = ledger()
    op(l, 'like', 1, 1, 0, 1, 201)
    const ok = integrityResult({ touched: [1], ledger: l, notes: [], before: new Map([[1, 3]]), after: new Map([[1, 4]]) })
    expect(integrityFinding(ok)[0]).toMatchObject({ ok: true })
    const none = integrityResult({ touched: [1], ledger: l, notes: [], before: new Map([[1, undefined]]), after: new Map() })
    expect(none.posts).toBe(0)
    expect(integrityFinding(none)).toEqual([])
  })

  it.each([
    ['{"likes":7}', 'likes', 7],
    ['{"data":{"post":{"likes":12}}}', 'data.post.likes', 12],
    ['{"likes":"12"}', 'likes', 12],
    ['{"likes":-1}', 'likes', undefined],
    ['{"likes":1.5}', 'likes', undefined],
    ['{"other":1}', 'likes', undefined],
    ['not json', 'likes', undefined],
    [undefined, 'likes', undefined],
  ])('reads the count of %s at %s: %s', (body, path, count) => {
    expect(countAt(body, path)).toBe(count)
  })
})
