import { describe, expect, it } from 'vitest'
import { ACTORS } from '../../src/actors/index.js'
import type { Outgoing } from '../../src/actors/types.js'
import { fakeActorContext } from '../helpers/actor-context.js'

/**
 * Every actor declares, before the run, which posts arrival n will touch (Actor.posts), so the
 * integrity check reads exactly those counts. The declaration must cover every post a request
 * of arrival n really names.
 */
const KINDS: Array<[string, string]> = [
  ['organic', 'kind: organic, unlikeRatio: 30%'],
  ['flood', 'kind: flood, accounts: 7, posts: [3, 9]'],
  ['duplicate', 'kind: duplicate, copies: 3, mode: burst'],
  ['toggle', 'kind: toggle, users: 3'],
  ['spoof', 'kind: spoof, accounts: 5'],
  ['unauthenticated', 'kind: unauthenticated'],
  ['malformed', 'kind: malformed'],
]

describe('Actor.posts', () => {
  it.each(KINDS)('%s declares every post its requests name', (kind, options) => {
    const f = fakeActorContext(`users: { count: 50 }\nposts: { count: 20 }\nactors:\n  a: { ${options}, rate: { hold: 10/s, for: 10s } }\n`)
    const actor = ACTORS[kind as keyof typeof ACTORS](f.ctx)
    expect(actor.posts).toBeTypeOf('function')
    let checked = 0
    for (let n = 0; n < 60; n++) {
      const before = f.sent.length
      actor.fire(n, n, () => {})
      const named = f.sent.slice(before).map((s: { req: Outgoing }) => s.req.post).filter((p) => p > 0)
      const declared = actor.posts!(n)
      for (const p of named) expect(declared, `arrival ${n} sent post ${p}`).toContain(p)
      checked += named.length
    }
    expect(checked).toBeGreaterThan(0)
  })
})
