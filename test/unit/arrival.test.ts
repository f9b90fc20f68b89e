import { describe, expect, it } from 'vitest'
import {
  arrivalModel,
  poissonSchedule,
  schedule,
  uniformSchedule,
  type ArrivalCursor,
} from '../../src/engine/arrival.js'
import type { Stage } from '../../src/scenarios/types.js'
import { hashString } from '../../src/rng.js'

const hold = (rate: number, durationMs: number): Stage => ({ kind: 'hold', rate, durationMs })
const ramp = (from: number, to: number, durationMs: number): Stage => ({ kind: 'ramp', from, to, durationMs })
const spike = (rate: number, durationMs: number): Stage => ({ kind: 'spike', rate, durationMs })
const pause = (durationMs: number): Stage => ({ kind: 'pause', durationMs })

/** drain walks a cursor to the end, returning [n, due] pairs. */
function drain(c: ArrivalCursor): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (let due = c.next(); due !== undefined; due = c.next()) out.push([c.index, due])
  return out
}

const dues = (stages: Stage[]): number[] => drain(uniformSchedule(arrivalModel(stages)).cursor()).map(([, d]) => d)

describe('uniform arrivals: request n is due at Λ⁻¹(n)', () => {
  it.each<[string, Stage[], number[]]>([
    ['hold 10/s for 1s', [hold(10, 1000)], [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]],
    ['hold 4/s after a zero-rate hold', [hold(0, 500), hold(4, 1000)], [500, 750, 1000, 1250]],
    ['a leading pause delays the first request', [pause(1000), hold(2, 1000)], [1000, 1500]],
    ['a pause between holds is skipped over', [hold(2, 1000), pause(1000), hold(2, 1000)], [0, 500, 2000, 2500]],
    ['a trailing pause adds nothing', [hold(2, 1000), pause(5000)], [0, 500]],
    ['a spike is a hold', [hold(2, 1000), spike(10, 300), hold(2, 1000)], [0, 500, 1000, 1100, 1200, 1300, 1800]],
    ['zero-length stages vanish', [hold(2, 1000), hold(50, 0), pause(0), hold(2, 1000)], [0, 500, 1000, 1500]],
    ['a non-integer total rounds up', [hold(2.5, 1000)], [0, 400, 800]],
    ['ramp 0..0 sends nothing', [ramp(0, 0, 1000)], []],
    ['no stages, no requests', [], []],
  ])('%s', (_name, stages, expected) => {
    expect(dues(stages)).toEqual(expected)
  })

  // Ramp 0..200/s over 1 s: Λ(t) = t²/10⁴, so request n is due at 100·√n.
  // Ramp 200..0/s over 1 s: Λ(t) = (200t − 0.1t²)/1000, so request n is due at 1000 − 100·√(100 − n).
  // Ramp 100..300/s over 1 s: Λ(t) = (100t + 0.1t²)/1000: Λ(100) = 11, Λ(500) = 75.
  it.each<[string, Stage[], number, number]>([
    ['ramp up from 0', [ramp(0, 200, 1000)], 0, 0],
    ['ramp up from 0', [ramp(0, 200, 1000)], 1, 100],
    ['ramp up from 0', [ramp(0, 200, 1000)], 4, 200],
    ['ramp up from 0', [ramp(0, 200, 1000)], 25, 500],
    ['ramp up from 0', [ramp(0, 200, 1000)], 81, 900],
    ['ramp down to 0', [ramp(200, 0, 1000)], 0, 0],
    ['ramp down to 0', [ramp(200, 0, 1000)], 19, 100],
    ['ramp down to 0', [ramp(200, 0, 1000)], 64, 400],
    ['ramp down to 0', [ramp(200, 0, 1000)], 99, 900],
    ['ramp 100..300', [ramp(100, 300, 1000)], 11, 100],
    ['ramp 100..300', [ramp(100, 300, 1000)], 75, 500],
    ['ramp after a hold', [hold(10, 1000), ramp(0, 200, 1000)], 14, 1200],
    ['ramp after a pause', [pause(500), ramp(0, 200, 1000)], 9, 800],
  ])('%s: request %i is due at %i ms', (_name, stages, n, due) => {
    expect(uniformSchedule(arrivalModel(stages)).dueMs(n)).toBeCloseTo(due, 9)
  })

  it('counts ⌈Λ(end)⌉ requests and agrees with the cursor', () => {
    const cases: Stage[][] = [
      [ramp(0, 300, 10_000)],
      [ramp(0, 300, 10_000), hold(300, 50_000)],
      [ramp(200, 0, 1000)],
      [hold(7, 3333), pause(100), ramp(3, 17, 777)],
    ]
    for (const stages of cases) {
      const model = arrivalModel(stages)
      const s = uniformSchedule(model)
      expect(s.count).toBe(Math.ceil(model.expectedCount - 1e-9))
      const walked = drain(s.cursor())
      expect(walked.length).toBe(s.count)
      for (const [n, due] of walked) expect(due).toBe(s.dueMs(n))
    }
    expect(uniformSchedule(arrivalModel([ramp(0, 300, 10_000)])).count).toBe(1500)
  })

  it('is monotone, stays inside the schedule and never puts a request in a pause', () => {
    const stages = [ramp(0, 90, 2000), pause(700), hold(33, 1000), ramp(50, 5, 1500), pause(300), spike(400, 50)]
    const model = arrivalModel(stages)
    const got = dues(stages)
    for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!)
    for (const t of got) {
      expect(t).toBeGreaterThanOrEqual(0)
      expect(t).toBeLessThan(model.durationMs)
      expect(stages[model.stageAt(t)!]!.kind).not.toBe('pause')
      expect(model.expected(t)).toBeCloseTo(got.indexOf(t), 6)
    }
  })

  it('lands on the next stage when float sums overshoot a boundary', () => {
    // 1.1 + 1.3 + 0.6 = 3.0000000000000004: request 3 belongs after the pause, exactly.
    const stages = [hold(1.1, 1000), hold(1.3, 1000), hold(0.6, 1000), pause(1000), hold(1, 1000)]
    expect(arrivalModel(stages.slice(0, 3)).expectedCount).toBeGreaterThan(3)
    const s = uniformSchedule(arrivalModel(stages))
    expect(s.dueMs(3)).toBe(4000)
    expect(s.count).toBe(4)
  })

  it('lands on the next stage when float sums undershoot a boundary', () => {
    // Ten stages of 0.1/s for 1 s sum to 0.9999999999999999: request 1 is due after the pause.
    const stages = [...Array.from({ length: 10 }, () => hold(0.1, 1000)), pause(500), hold(1, 1000)]
    expect(arrivalModel(stages.slice(0, 10)).expectedCount).toBeLessThan(1)
    expect(dues(stages)).toEqual([0, 10_500])
  })

  it('answers undefined past the end', () => {
    const s = uniformSchedule(arrivalModel([hold(10, 1000)]))
    expect(s.dueMs(10)).toBeUndefined()
    expect(s.dueMs(-1)).toBeUndefined()
    const c = s.cursor()
    drain(c)
    expect(c.next()).toBeUndefined()
  })
})

describe('the model', () => {
  const model = arrivalModel([ramp(0, 300, 10_000), hold(300, 5000), pause(1000), spike(1000, 500)])

  it('integrates the stages', () => {
    expect(model.durationMs).toBe(16_500)
    expect(model.expectedCount).toBe(1500 + 1500 + 500)
    expect(model.peakRate).toBe(1000)
    expect(model.expected(5000)).toBeCloseTo(375, 9)
    expect(model.expected(12_000)).toBe(2100)
    expect(model.expected(15_500)).toBe(3000)
    expect(model.expected(-5)).toBe(0)
    expect(model.expected(99_999)).toBe(3500)
  })

  it.each([
    [0, 0, 0],
    [5000, 0, 150],
    [10_000, 1, 300],
    [15_200, 2, 0],
    [16_000, 3, 1000],
  ])('at %i ms runs stage %i at %i/s', (t, stage, rate) => {
    expect(model.stageAt(t)).toBe(stage)
    expect(model.rateAt(t)).toBeCloseTo(rate, 9)
  })

  it('is empty outside the schedule', () => {
    expect(model.stageAt(-1)).toBeUndefined()
    expect(model.stageAt(16_500)).toBeUndefined()
    expect(model.rateAt(16_500)).toBe(0)
    expect(model.inverse(3500)).toBeUndefined()
  })

  it('inverts Λ: Λ(Λ⁻¹(x)) = x', () => {
    for (const x of [0.5, 10, 1499.9, 1500, 2999, 3000.25, 3499]) {
      expect(model.expected(model.inverse(x)!)).toBeCloseTo(x, 6)
    }
  })

  it.each<[string, Stage]>([
    ['negative rate', hold(-1, 1000)],
    ['infinite rate', hold(Infinity, 1000)],
    ['NaN duration', pause(NaN)],
    ['negative ramp end', ramp(5, -5, 1000)],
  ])('rejects a %s', (_name, stage) => {
    expect(() => arrivalModel([stage])).toThrow(RangeError)
  })
})

describe('poisson arrivals: request n is due at Λ⁻¹(S_n)', () => {
  const stream = hashString('organic')

  it('gives the same schedule for the same seed and stream, another for another seed', () => {
    const model = arrivalModel([ramp(0, 200, 2000), hold(200, 1000)])
    const a = drain(poissonSchedule(model, 7, stream).cursor())
    const b = drain(poissonSchedule(model, 7, stream).cursor())
    const c = drain(poissonSchedule(model, 8, stream).cursor())
    const d = drain(poissonSchedule(model, 7, hashString('farm')).cursor())
    expect(a).toEqual(b)
    expect(c).not.toEqual(a)
    expect(d).not.toEqual(a)
  })

  it('has mean Λ(end) over a long run and exponential gaps in a hold', () => {
    // Λ(end) = 100,000: the count is Poisson, sd ≈ 316.
    const model = arrivalModel([hold(1000, 100_000)])
    const got = drain(poissonSchedule(model, 1, stream).cursor()).map(([, d]) => d)
    expect(Math.abs(got.length - 100_000)).toBeLessThan(1300)
    const gaps = got.slice(1).map((t, i) => t - got[i]!)
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length
    expect(mean).toBeCloseTo(1, 1)
    // P(gap > mean) = e⁻¹ for an exponential; evenly spaced gaps would give 0 or 1.
    expect(gaps.filter((g) => g > 1).length / gaps.length).toBeCloseTo(Math.exp(-1), 2)
  })

  it('follows the rate curve: a quarter of a 0..r ramp falls in its first half', () => {
    const model = arrivalModel([ramp(0, 2000, 40_000)])
    const got = drain(poissonSchedule(model, 3, stream).cursor()).map(([, d]) => d)
    const firstHalf = got.filter((t) => t < 20_000).length
    expect(firstHalf / got.length).toBeCloseTo(0.25, 2)
  })

  it('is monotone, skips pauses and numbers arrivals 0, 1, 2, …', () => {
    const stages = [hold(50, 1000), pause(1000), hold(50, 1000)]
    const model = arrivalModel(stages)
    const got = drain(poissonSchedule(model, 11, stream).cursor())
    got.forEach(([n], i) => expect(n).toBe(i))
    for (let i = 1; i < got.length; i++) expect(got[i]![1]).toBeGreaterThanOrEqual(got[i - 1]![1])
    for (const [, t] of got) expect(stages[model.stageAt(t)!]!.kind).toBe('hold')
  })

  it('is chosen by schedule() from the plan', () => {
    const model = arrivalModel([hold(10, 1000)])
    expect(schedule(model, 'poisson', 1, stream).arrivals).toBe('poisson')
    expect(schedule(model, 'uniform', 1, stream).expectedCount).toBe(10)
  })
})
