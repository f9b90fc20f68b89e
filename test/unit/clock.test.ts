import { describe, expect, it } from 'vitest'
import { fakeClock, realClock } from '../../src/engine/clock.js'

describe('fakeClock', () => {
  it('stands still until advanced', async () => {
    const clock = fakeClock(100)
    expect(clock.now()).toBe(100)
    await new Promise((r) => setTimeout(r, 5))
    expect(clock.now()).toBe(100)
    await clock.advance(50)
    expect(clock.now()).toBe(150)
  })

  it('wakes sleepers at their own deadlines, in order, ties in the order they slept', async () => {
    const clock = fakeClock()
    const woke: Array<[string, number]> = []
    const sleep = (name: string, t: number) => clock.sleepUntil(t).then(() => woke.push([name, clock.now()]))
    void sleep('c', 300)
    void sleep('a', 100)
    void sleep('b', 100)
    void sleep('late', 900)
    await clock.advance(500)
    expect(woke).toEqual([
      ['a', 100],
      ['b', 100],
      ['c', 300],
    ])
    expect(clock.now()).toBe(500)
    expect(clock.pending).toBe(1)
  })

  it('wakes sleepers that sleep again inside one advance', async () => {
    const clock = fakeClock()
    const ticks: number[] = []
    const loop = async () => {
      for (let t = 10; t <= 50; t += 10) {
        await clock.sleepUntil(t)
        ticks.push(clock.now())
      }
    }
    const done = loop()
    await clock.advance(100)
    await done
    expect(ticks).toEqual([10, 20, 30, 40, 50])
  })

  it('resolves a sleep for a past time at once, and an aborted sleep early', async () => {
    const clock = fakeClock(1000)
    await clock.sleepUntil(10)
    const ac = new AbortController()
    let woke = false
    const p = clock.sleepUntil(5000, ac.signal).then(() => (woke = true))
    await clock.advance(10)
    expect(woke).toBe(false)
    ac.abort()
    await p
    expect(woke).toBe(true)
    expect(clock.now()).toBe(1010)
    expect(clock.pending).toBe(0)
  })
})

describe('realClock', () => {
  // Timing on a shared machine: a stall from another process may spoil one attempt, not three.
  it('never wakes early and wakes close to the deadline', { retry: 2 }, async () => {
    const clock = realClock({ spinBudget: 1 })
    const lags: number[] = []
    for (let i = 0; i < 40; i++) {
      const t = clock.now() + 2 + (i % 3) * 0.3
      await clock.sleepUntil(t)
      lags.push(clock.now() - t)
    }
    lags.sort((a, b) => a - b)
    expect(lags[0]!).toBeGreaterThanOrEqual(0)
    // Tolerant: a loaded CI machine may be slow, but a plain setTimeout p50 is ~0.5 ms late.
    expect(lags[20]!).toBeLessThan(0.5)
  })

  it('keeps idle polling within its budget, and still never wakes early', async () => {
    // 0.5 ms gaps, so unbudgeted every gap would be polled: ~100k polls (3–4 µs each) in 300 ms.
    const clock = realClock({ spinBudget: 0.05 })
    const t0 = clock.now()
    let sleeps = 0
    for (let t = t0 + 0.5; t < t0 + 300; t += 0.5, sleeps++) {
      await clock.sleepUntil(t)
      expect(clock.now()).toBeGreaterThanOrEqual(t)
    }
    const wall = clock.now() - t0
    // The bucket: 20 ms saved up plus 5% of the wall time, at 3 µs a poll.
    expect(clock.polls).toBeLessThanOrEqual(Math.ceil((20 + 0.05 * wall) / 0.003) + 1)
    expect(sleeps).toBe(599)
  })

  it('yields to the event loop even when the deadline has passed', async () => {
    const clock = realClock()
    let immediateRan = false
    setImmediate(() => (immediateRan = true))
    await clock.sleepUntil(clock.now() - 10)
    expect(immediateRan).toBe(true)
  })

  it('returns early when the signal aborts', async () => {
    const clock = realClock()
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 10)
    const t0 = clock.now()
    await clock.sleepUntil(t0 + 10_000, ac.signal)
    expect(clock.now() - t0).toBeLessThan(1000)
  })
})
