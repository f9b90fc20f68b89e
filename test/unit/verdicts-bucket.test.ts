import { describe, expect, it } from 'vitest'
import { bucketSpec, freshBucket, take } from '../../src/verdicts/bucket.js'
import { addPoint, emptyFit, estimate, line, mergeFit } from '../../src/verdicts/estimate.js'

describe('reference bucket', () => {
  const spec = bucketSpec({ limit: 10, perMs: 10_000, burst: 5 })

  it('starts full: a burst of `burst` passes at once, the next waits one refill', () => {
    const b = freshBucket(spec, 0)
    expect(Array.from({ length: 7 }, () => take(spec, b, 0))).toEqual([true, true, true, true, true, false, false])
    expect(take(spec, b, 999)).toBe(false)
    expect(take(spec, b, 1000)).toBe(true)
  })

  it.each([
    // [request times (ms), admitted]: 1/s, burst 5
    [[0, 0, 0, 0, 0, 0], 5],
    [Array.from({ length: 20 }, (_, i) => i * 100), 5 + 1], // 2 s at 10/s: 5, then one at 1000 (none at 2000: the run ends at 1900)
    [Array.from({ length: 30 }, (_, i) => i * 1000), 30], // within the rate: all pass
    [[0, 0, 0, 0, 0, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000], 10], // refilled to the cap, never beyond
  ])('admits exactly what the policy allows: %j → %i', (times, admitted) => {
    const b = freshBucket(spec, 0)
    expect((times as number[]).filter((t) => take(spec, b, t)).length).toBe(admitted)
  })

  it('only admitted requests take a token: knocking while empty costs nothing', () => {
    const b = freshBucket(spec, 0)
    for (let i = 0; i < 5; i++) take(spec, b, 0)
    for (let t = 1; t < 1000; t += 7) expect(take(spec, b, t)).toBe(false)
    expect(take(spec, b, 1000)).toBe(true)
  })

  it('a time earlier than the last is taken as the last, never earlier', () => {
    const b = freshBucket(spec, 0)
    for (let i = 0; i < 5; i++) take(spec, b, 1000)
    expect(take(spec, b, 500)).toBe(false)
    expect(b.at).toBe(1000)
  })

  it('tenths of a token add up to a whole one', () => {
    const s = bucketSpec({ limit: 1, perMs: 10, burst: 1 })
    const b = freshBucket(s, 0)
    take(s, b, 0)
    for (let t = 1; t < 10; t++) expect(take(s, b, t)).toBe(false)
    expect(take(s, b, 10)).toBe(true)
  })
})

describe('online least squares', () => {
  it('finds an exact line', () => {
    const f = emptyFit()
    for (let x = 0; x < 10; x++) addPoint(f, x, 3 + 2 * x)
    const l = line(f)!
    expect(l.slope).toBeCloseTo(2, 12)
    expect(l.intercept).toBeCloseTo(3, 12)
  })

  it('pools fits exactly, as if every point had been added to one', () => {
    const all = emptyFit()
    const parts = [emptyFit(), emptyFit(), emptyFit()]
    for (let i = 0; i < 300; i++) {
      const x = (i * 7919) % 1000
      const y = 5 + 0.001 * x + Math.sin(i)
      addPoint(all, x, y)
      addPoint(parts[i % 3]!, x, y)
    }
    const pooled = emptyFit()
    for (const p of parts) mergeFit(pooled, p)
    expect(pooled.n).toBe(all.n)
    expect(line(pooled)!.slope).toBeCloseTo(line(all)!.slope, 12)
    expect(line(pooled)!.intercept).toBeCloseTo(line(all)!.intercept, 10)
  })

  it('has no line with fewer than two distinct x', () => {
    const f = emptyFit()
    expect(line(f)).toBeNull()
    addPoint(f, 5, 1)
    addPoint(f, 5, 2)
    expect(line(f)).toBeNull()
    expect(estimate([f])).toEqual({ ratePerSec: null, burst: null, keys: 1, samples: 2 })
  })

  it('stays accurate at large offsets (an hour in ms)', () => {
    const f = emptyFit()
    for (let i = 0; i < 1000; i++) addPoint(f, 3_600_000 + i * 1000, 5 + i)
    const l = line(f)!
    expect(l.slope * 1000).toBeCloseTo(1, 9)
    expect(l.intercept + l.slope * 3_600_000).toBeCloseTo(5, 6)
  })
})
