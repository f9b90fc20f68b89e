import { describe, expect, it } from 'vitest'
import { GroupWindows, spreadStats } from '../../src/actors/arrivals.js'
import { duplicate, GROUP_HEADER } from '../../src/actors/duplicate.js'
import type { Outgoing, Sent } from '../../src/actors/types.js'
import { fakeActorContext } from '../helpers/actor-context.js'

const scenario = (opts: string) =>
  `users: { count: 100 }\nposts: { count: 20 }\nactors:\n  d: { kind: duplicate, ${opts}, rate: { hold: 5/s, for: 10s } }\n`

function drive(opts: string, arrivals: number, answer?: (req: Outgoing) => Partial<Sent>) {
  const f = fakeActorContext(scenario(opts), 0, answer)
  const a = duplicate(f.ctx)
  let done = 0
  for (let n = 0; n < arrivals; n++) a.fire(n, n * 200, () => done++)
  return { ...f, actor: a, done: () => done }
}

const group = (req: Outgoing) => {
  const h = req.headers as string[]
  return h[h.indexOf(GROUP_HEADER) + 1]
}

/** firstCreated answers 201 to the first copy of each group and 200 to the others, as a sound target does. */
function firstCreated() {
  const seen = new Set<string>()
  return (req: Outgoing) => {
    const g = group(req)!
    if (seen.has(g)) return { status: 200 }
    seen.add(g)
    return { status: 201 }
  }
}

describe('duplicate', () => {
  it.each(['sequential', 'burst', 'race'])('%s: sends `copies` likes of one pair per arrival, tagged with the group', (mode) => {
    const { sent, actor, done, races } = drive(`copies: 4, mode: ${mode}`, 10)
    expect(sent).toHaveLength(40)
    expect(done()).toBe(10)
    for (let n = 0; n < 10; n++) {
      const copies = sent.slice(n * 4, n * 4 + 4).map((s) => s.req)
      expect(new Set(copies.map((r) => `${r.user}:${r.post}:${r.path}`)).size).toBe(1)
      expect(copies.every((r) => group(r) === `d#${n}`)).toBe(true)
      expect(actor.identity(n)).toBe(copies[0]!.user)
      expect(copies[0]).toMatchObject({ method: 'POST', path: `/v1/posts/${copies[0]!.post}/likes`, token: copies[0]!.user })
    }
    expect(races).toHaveLength(mode === 'race' ? 10 : 0)
  })

  it('is the same for the same seed, and gives every arrival a fresh (user, post) pair while there are pairs', () => {
    const a = drive('copies: 2, mode: burst', 600)
    const b = drive('copies: 2, mode: burst', 600)
    expect(a.sent.map((s) => [s.req.user, s.req.post])).toEqual(b.sent.map((s) => [s.req.user, s.req.post]))
    const pairs = a.sent.filter((_, i) => i % 2 === 0).map((s) => `${s.req.user}:${s.req.post}`)
    expect(new Set(pairs).size).toBe(600)
    expect(new Set(pairs.slice(0, 100).map((p) => p.split(':')[0])).size).toBe(100) // the first round: every user once
  })

  it('keeps to the listed posts', () => {
    const { sent } = drive('copies: 2, mode: burst, posts: [3, 4]', 50)
    expect(new Set(sent.map((s) => s.req.post))).toEqual(new Set([3, 4]))
  })

  it('sends a sequential copy once the previous one answered, timed from its own send', () => {
    const f = fakeActorContext(scenario('copies: 3, mode: sequential'))
    const held: Array<(r: Sent) => void> = []
    const times: number[] = []
    f.ctx.send = (_req, intendedMs, cb) => {
      times.push(intendedMs)
      held.push(cb)
    }
    const a = duplicate(f.ctx)
    let done = 0
    a.fire(0, 500, () => done++)
    const answer = (status: number): Sent => ({ status, error: null, sentAt: 0, endedAt: 0, bytes: 0, body: undefined })
    expect(held).toHaveLength(1)
    f.advance(700)
    held[0]!(answer(201))
    expect(held).toHaveLength(2)
    f.advance(5)
    held[1]!(answer(200))
    held[2]!(answer(200))
    expect(times).toEqual([500, 700, 705])
    expect(done).toBe(1)
  })

  it('holds when each group created at most one like, and fires with the extra likes when more', () => {
    const sound = drive('copies: 4, mode: burst', 10, firstCreated())
    expect(sound.actor.findings()[0]).toMatchObject({
      kind: 'duplicate', ok: true,
      message: 'one like counted per group: 10 groups of 4 burst copies, at most one 201 Created each',
      evidence: { groups: 10, overCounted: 0, extraLikes: 0, created: 10, existing: 30 },
    })
    const racy = drive('copies: 4, mode: race', 10, () => ({ status: 201 }))
    const [f] = racy.actor.findings()
    expect(f).toMatchObject({ ok: false, evidence: { overCounted: 10, extraLikes: 30, created: 40 } })
    expect(f!.message).toBe('10 of 10 groups of 4 race copies counted the same like more than once: 30 extra likes (more than one 201 Created per group)')
  })

  it('says when the statuses cannot tell new likes from repeats', () => {
    const { actor } = drive('copies: 2, mode: sequential', 3, () => ({ status: 200 }))
    expect(actor.findings()[0]!.message).toMatch(/no 201 seen at all/)
  })

  it('puts the arrival spread into the evidence of burst and race groups', async () => {
    const f = fakeActorContext(scenario('copies: 3, mode: race'))
    let t = 1000
    f.ctx.race = (reqs, cb) => {
      const base = t
      t += 1000
      reqs.forEach((_r, i) => cb(i, { status: 201, error: null, sentAt: base + i * 0.01, endedAt: base + 5, bytes: 0, body: undefined }))
    }
    const a = duplicate(f.ctx)
    for (let n = 0; n < 3; n++) a.fire(n, n, () => {})
    // Group 0 lands within 0.2 ms, group 1 within 0.6 ms; group 2 shares its window with a stranger.
    const times = Float64Array.from([1000.1, 1000.2, 1000.3, 2000.1, 2000.4, 2000.7, 3000.1, 3000.2, 3000.3, 3000.4])
    await a.afterRun!({ arrivals: async () => ({ times, groups: new Map() }) })
    expect(a.findings()[0]!.evidence.arrivalSpread).toEqual({ groups: 3, measured: 2, medianMs: 0.2, p90Ms: 0.6, maxMs: 0.6 })
    const none = duplicate(fakeActorContext(scenario('copies: 3, mode: burst')).ctx)
    await none.afterRun!({ arrivals: async () => null })
    expect(none.findings()[0]!.evidence.arrivalSpread).toBeNull()
  })
})

describe('GroupWindows', () => {
  const byTime = (...t: number[]) => ({ times: Float64Array.from(t), groups: new Map() })

  it('without group ids, takes exactly the arrivals inside a group\'s window, and skips windows that hold more or fewer', () => {
    const w = new GroupWindows(2)
    w.add('a#0', 10, 20, 2)
    w.add('a#1', 30, 40, 2)
    w.add('a#2', 50, 60, 2) // past the capacity: counted, not measured
    expect(w.spreads(byTime(10.5, 11, 35))).toEqual([0.5])
    expect(spreadStats(w.groups, w.spreads(byTime(10.5, 11, 31, 39)))).toEqual({ groups: 3, measured: 2, medianMs: 0.5, p90Ms: 8, maxMs: 8 })
  })

  it('with group ids, measures each group by its own stamps, whatever else landed at the same time', () => {
    const w = new GroupWindows(3)
    w.add('a#0', 10, 20, 2)
    w.add('a#1', 10, 20, 2)
    w.add('a#2', 30, 40, 2)
    const groups = new Map([
      ['a#0', { count: 2, first: 10.5, last: 11 }],
      ['a#1', { count: 2, first: 10.6, last: 12 }],
      ['a#2', { count: 1, first: 31, last: 31 }], // a copy never arrived: unmeasured
    ])
    expect(w.spreads({ times: Float64Array.from([10.5, 10.6, 11, 12, 31]), groups }).map((x) => +x.toFixed(6))).toEqual([0.5, 1.4])
  })
})
