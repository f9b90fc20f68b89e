import { describe, expect, it } from 'vitest'
import { arrivalModel, poissonSchedule } from '../../src/engine/arrival.js'
import { fakeClock } from '../../src/engine/clock.js'
import { runClosed, runOpen, type Done } from '../../src/engine/dispatch.js'
import { apportion, autoWorkers, capShare, nextOwned, ownerOf, owns, RATE_PER_WORKER, shares } from '../../src/engine/split.js'

/** identity of a made-up actor: 97 users, visited in a scrambled order. */
const identity = (n: number) => (n * 31 + 7) % 97

describe('ownerOf', () => {
  it('gives every identity one worker, the same every time, and spreads consecutive ids evenly', () => {
    const counts = [0, 0, 0, 0]
    for (let id = 0; id < 20_000; id++) {
      const w = ownerOf(id, 4)
      expect(w).toBe(ownerOf(id, 4))
      counts[w]!++
    }
    for (const c of counts) expect(c / 20_000).toBeGreaterThan(0.23)
    for (const c of counts) expect(c / 20_000).toBeLessThan(0.27)
  })

  it('is 0 for one worker, and copes with negative and very large ids', () => {
    expect(ownerOf(12345, 1)).toBe(0)
    for (const id of [-1, -(2 ** 40), 2 ** 52, 2 ** 33 + 5]) {
      const w = ownerOf(id, 3)
      expect(Number.isInteger(w) && w >= 0 && w < 3).toBe(true)
    }
  })
})

describe('apportion, capShare and shares', () => {
  it('splits a whole number in proportion, with parts that always sum to it', () => {
    expect(apportion(10, [0.5, 0.25, 0.25])).toEqual([5, 3, 2])
    expect(apportion(7, [1, 1, 1])).toEqual([3, 2, 2])
    expect(apportion(3, [0, 1, 0])).toEqual([0, 3, 0])
    expect(apportion(5, [0, 0])).toEqual([5, 0])
    for (let total = 0; total < 50; total++) expect(apportion(total, [0.13, 0.4, 0.07, 0.4]).reduce((a, b) => a + b)).toBe(total)
  })

  it('gives a worker with no arrivals no cap, and any worker with some at least one', () => {
    expect(capShare(100, [0, 1], 0)).toBe(0)
    expect(capShare(100, [0, 1], 1)).toBe(100)
    expect(capShare(2, [0.01, 0.99], 0)).toBe(1)
  })

  it('estimates each worker\'s share of an actor from its identities', () => {
    const s = shares(identity, 4)
    expect(s.reduce((a, b) => a + b)).toBeCloseTo(1, 12)
    // One identity for every arrival (a farm on one address): one worker owns it all.
    const one = shares(() => 3, 4)
    expect(one.filter((x) => x === 1)).toHaveLength(1)
    expect(one.filter((x) => x === 0)).toHaveLength(3)
  })
})

describe('autoWorkers', () => {
  it('uses the cores, leaves one to a built-in target, and no more than the peak rate needs', () => {
    expect(autoWorkers(8, 100_000, false, false)).toBe(8)
    expect(autoWorkers(8, 100, false, false)).toBe(1)
    expect(autoWorkers(8, 2.5 * RATE_PER_WORKER, false, false)).toBe(3)
    expect(autoWorkers(8, 100, true, false)).toBe(8)
    expect(autoWorkers(8, 100, true, true)).toBe(7)
    expect(autoWorkers(1, 1e6, true, true)).toBe(1)
    expect(autoWorkers(512, 1e9, true, false)).toBe(64)
  })
})

describe('a schedule split over workers', () => {
  it('sends, over all parts, exactly the single-threaded schedule: each arrival once, at the same intended time', async () => {
    const schedule = poissonSchedule(arrivalModel([{ kind: 'hold', rate: 400, durationMs: 2000 }]), 9, 1)
    const fired = async (mine?: (n: number) => boolean) => {
      const clock = fakeClock()
      const out: Array<[number, number]> = []
      const run = runOpen({
        cursor: schedule.cursor(), clock, startMs: 0, maxInFlight: 10_000, signal: new AbortController().signal,
        fire: (n, at, done) => (out.push([n, at]), done()), ...(mine ? { owns: mine } : {}),
      })
      await clock.advance(3000)
      const res = await run
      return { out, res }
    }
    const whole = await fired()
    const parts = await Promise.all([0, 1, 2, 3].map((p) => fired(owns(identity, p, 4))))
    const union = parts.flatMap((p) => p.out).sort((a, b) => a[0] - b[0])
    expect(whole.out.length).toBeGreaterThan(700)
    expect(union).toEqual(whole.out)
    expect(parts.reduce((n, p) => n + p.res.sent, 0)).toBe(whole.res.sent)
    // Every identity is sent by one part only.
    parts.forEach((p, i) => p.out.forEach(([n]) => expect(ownerOf(identity(n), 4)).toBe(i)))
    expect(parts.every((p) => p.res.dropped === 0 && p.res.sent > 0)).toBe(true)
  })

  it('lets a closed-model worker send only the arrival indices it owns, in order', async () => {
    const clock = fakeClock()
    const sent: number[] = []
    const pending: Done[] = []
    const mine = owns(identity, 1, 3)
    const run = runClosed({
      concurrency: 2, durationMs: 100, clock, signal: new AbortController().signal, nextIndex: nextOwned(mine),
      fire: (n, _at, done) => (sent.push(n), pending.push(done)),
    })
    await clock.advance(1)
    for (let i = 0; i < 20; i++) {
      pending.shift()!()
      await clock.advance(1)
    }
    await clock.advance(200)
    await run
    expect(sent.length).toBeGreaterThan(10)
    expect(sent.every(mine)).toBe(true)
    expect([...sent].sort((a, b) => a - b)).toEqual(sent)
    // Nothing it owns is skipped.
    const last = sent[sent.length - 1]!
    for (let n = 0; n <= last; n++) expect(sent.includes(n)).toBe(mine(n))
  })

  it('ends a closed-model sequence that finds nothing it owns', () => {
    const next = nextOwned(() => false, 1000)
    expect(next()).toBe(-1)
  })
})
