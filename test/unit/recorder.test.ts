import { afterEach, describe, expect, it } from 'vitest'
import { Recorder, mergeEncoded, type RequestRecord } from '../../src/metrics/recorder.js'
import { histogram, micros, stats } from '../../src/metrics/hdr.js'
import type { ErrorKind } from '../../src/transport/classify.js'

const START = 10_000
let recorders: Recorder[] = []

/** recorder builds a two-actor, two-endpoint recorder starting at START and frees it after the test. */
function recorder(throttleStatus = [429]): Recorder {
  const r = new Recorder({ actors: ['organic', 'farm'], endpoints: ['like', 'read'], throttleStatus, startMs: START })
  recorders.push(r)
  return r
}

afterEach(() => {
  for (const r of recorders) r.destroy()
  recorders = []
})

/** rec builds a record: intended at START + at ms, sent `lag` ms later, answered `took` ms after sending. */
function rec(slot: number, at: number, took: number, status: number, error: ErrorKind | null = null, lag = 0): RequestRecord {
  const intendedMs = START + at
  return { slot, intendedMs, sentAt: intendedMs + lag, endedAt: intendedMs + lag + took, status, error }
}

describe('Recorder.add', () => {
  it('classes responses and errors the way DESIGN.md section 5 defines them', () => {
    const r = recorder([429, 503])
    const like = r.slot('organic', 'like')
    for (const [status, error] of [
      [201, null], [200, null], [304, null], [429, null], [503, null], [500, null], [404, null], [400, null],
      [0, 'timeout'], [0, 'reset'], [200, 'reset'], [0, 'aborted'], [999, null],
    ] as Array<[number, ErrorKind | null]>) {
      r.add(rec(like, 5, 1, status, error))
    }
    const t = r.summary().totals
    expect(t).toMatchObject({ requests: 13, responses: 9, throttled: 2, rejected: 2, errors: 4, dropped: 0 })
    expect(t.status).toEqual({ other: 1, '200': 1, '201': 1, '304': 1, '400': 1, '404': 1, '429': 1, '500': 1, '503': 1 })
    expect(t.errorKinds).toEqual({ timeout: 1, reset: 2, aborted: 1 })
  })

  it('measures corrected latency from the intended time, uncorrected from the send, and the send lag', () => {
    const r = recorder()
    r.add(rec(r.slot('farm', 'read'), 0, 40, 200, null, 10))
    const { latency, actors } = r.summary()
    expect(latency.corrected.p50).toBeCloseTo(50, 1)
    expect(latency.uncorrected.p50).toBeCloseTo(40, 1)
    expect(latency.sendLag.p50).toBeCloseTo(10, 1)
    expect(actors.farm!.endpoints.read!.latency.corrected.count).toBe(1)
    expect(actors.organic!.latency.corrected.count).toBe(0)
    expect(Object.keys(actors.farm!.endpoints)).toEqual(['read'])
  })

  it('sees a generator stall in corrected latency that uncorrected latency hides (coordinated omission)', () => {
    // 1,000/s for 10 s; the generator is blocked from 3 s to 4 s and sends that second's
    // requests late, all at 4 s; every response takes 0.1 ms from its send.
    const r = recorder()
    const like = r.slot('organic', 'like')
    for (let at = 0; at < 10_000; at++) {
      const lag = at >= 3000 && at < 4000 ? 4000 - at : 0
      r.add(rec(like, at, 0.1, 204, null, lag))
    }
    const { corrected, uncorrected, sendLag } = r.summary().latency
    expect(corrected.p50).toBeCloseTo(0.1, 2)
    expect(corrected.p95).toBeGreaterThan(450)
    expect(corrected.p99).toBeGreaterThan(850)
    expect(corrected.max).toBeCloseTo(1000, -1)
    expect(uncorrected.p99).toBeCloseTo(0.1, 2)
    expect(uncorrected.max).toBeCloseTo(0.1, 2)
    expect(sendLag.p99).toBeGreaterThan(850)
  })

  it('rejects slots that do not exist', () => {
    const r = recorder()
    expect(() => r.slot('organic', 'unlike')).toThrow(RangeError)
    expect(() => r.slot('nobody', 'like')).toThrow(RangeError)
    expect(() => r.add(rec(99, 0, 1, 200))).toThrow(RangeError)
  })
})

describe('the timeline', () => {
  it('counts sends by send second and outcomes by end second, with per-second percentiles', () => {
    const r = recorder()
    const s = r.slot('organic', 'like')
    r.add(rec(s, 100, 5, 200))
    r.add(rec(s, 200, 15, 201))
    r.add(rec(s, 900, 200, 429)) // sent in second 0, answered in second 1
    r.add(rec(s, 1500, 3, 0, 'timeout'))
    r.add(rec(s, 1600, 3, 503))
    r.add(rec(s, 3100, 7, 204)) // second 2 stays empty
    const rows = r.summary().timeline
    expect(rows.map(({ t, sent, ok, throttled, errors }) => [t, sent, ok, throttled, errors])).toEqual([
      [0, 3, 2, 0, 0],
      [1000, 2, 0, 1, 2],
      [2000, 0, 0, 0, 0],
      [3000, 1, 1, 0, 0],
    ])
    expect(rows[0]!.p50).toBeCloseTo(5, 1)
    expect(rows[0]!.p99).toBeCloseTo(15, 1)
    expect(rows[1]!.p99).toBeCloseTo(200, 0)
    expect(rows[2]!.p99).toBe(0)
    expect(rows[3]!.p50).toBeCloseTo(7, 1)
  })
})

describe('Recorder.snapshot', () => {
  it('reports the interval rate and p99, and cumulative counts per actor', () => {
    const r = recorder()
    const organic = r.slot('organic', 'like')
    const farm = r.slot('farm', 'like')
    for (let i = 0; i < 100; i++) r.add(rec(organic, i * 10, i < 99 ? 2 : 300, 200))
    r.add(rec(farm, 500, 1, 429))
    r.drop(1)
    r.drop(1)
    const a = r.snapshot(START + 1000)
    expect(a).toMatchObject({ t: 1000, intervalMs: 1000, rps: 101, requests: 101, throttled: 1, dropped: 2, errors: 0 })
    expect(a.p99).toBeCloseTo(2, 1)
    expect(a.actors).toEqual([
      { name: 'organic', requests: 100, throttled: 0, errors: 0, dropped: 0 },
      { name: 'farm', requests: 1, throttled: 1, errors: 0, dropped: 2 },
    ])
    r.add(rec(organic, 1100, 80, 500))
    const b = r.snapshot(START + 1500)
    expect(b).toMatchObject({ intervalMs: 500, rps: 2, requests: 102, errors: 1 })
    expect(b.p99).toBeCloseTo(80, 0)
  })
})

/** feed adds a deterministic mix of records over five seconds, in completion order as a live run would, to one or two recorders. */
function feed(targets: Recorder[]): void {
  const statuses = [200, 201, 429, 500, 404, 204]
  const errors: Array<ErrorKind | null> = [null, null, null, 'timeout', null, 'reset', null]
  const records = Array.from({ length: 3000 }, (_, i) => {
    const slot = targets[0]!.slot(i % 3 === 0 ? 'farm' : 'organic', i % 5 === 0 ? 'read' : 'like')
    const error = errors[i % errors.length]!
    return rec(slot, (i * 5000) / 3000, 1 + ((i * 7919) % 997) / 10, error ? 0 : statuses[i % statuses.length]!, error, (i % 11) / 10)
  }).sort((x, y) => x.endedAt - y.endedAt)
  records.forEach((r, i) => targets[i % targets.length]!.add(r))
  for (const r of targets) r.drop(0)
}

describe('encode and merge', () => {
  it('round-trips through JSON exactly', () => {
    const r = recorder()
    feed([r])
    const back = Recorder.fromEncoded(JSON.parse(JSON.stringify(r.encode())))
    recorders.push(back)
    expect(back.summary()).toEqual(r.summary())
  })

  it('merges two halves into exactly what one recorder would have recorded', () => {
    const whole = recorder()
    const a = recorder()
    const b = recorder()
    feed([whole])
    feed([a, b])
    const merged = Recorder.fromEncoded(mergeEncoded(a.encode(), b.encode()))
    recorders.push(merged)
    const got = merged.summary()
    const want = whole.summary()
    // Dropped arrivals were counted once per recorder fed.
    expect(got.totals.dropped).toBe(2)
    want.totals.dropped = 2
    want.actors.organic!.dropped = 2
    expect(got).toEqual(want)
    expect(got.timeline.length).toBe(6) // sends over 5 s, the last answers in second 5
    expect(got.timeline.some((row) => row.p99 > 0)).toBe(true)
  })

  it('merges recorders with different actors and endpoints by name', () => {
    const x = new Recorder({ actors: ['organic'], endpoints: ['like'], throttleStatus: [429], startMs: 0 })
    const y = new Recorder({ actors: ['spoof'], endpoints: ['read'], throttleStatus: [503], startMs: 0 })
    recorders.push(x, y)
    x.add({ slot: 0, intendedMs: 0, sentAt: 0, endedAt: 2, status: 201, error: null })
    y.add({ slot: 0, intendedMs: 1500, sentAt: 1500, endedAt: 1504, status: 503, error: null })
    const m = Recorder.fromEncoded(x.encode(), y.encode())
    recorders.push(m)
    const s = m.summary()
    expect(m.actors).toEqual(['organic', 'spoof'])
    expect(m.endpoints).toEqual(['like', 'read'])
    expect(s.actors.spoof).toMatchObject({ requests: 1, throttled: 1, errors: 0 })
    expect(s.totals).toMatchObject({ requests: 2, responses: 2, throttled: 1 })
    expect(s.timeline.map((row) => [row.ok, row.throttled])).toEqual([
      [1, 0],
      [0, 1],
    ])
  })
})

describe('hdr helpers', () => {
  it('records microseconds, clamped to 0 .. 1 h', () => {
    expect(micros(1.2345)).toBe(1235)
    expect(micros(-3)).toBe(0)
    expect(micros(Number.NaN)).toBe(0)
    expect(micros(10 * 3_600_000)).toBe(3_600_000_000)
  })

  it('summarises as Stats in milliseconds, zeros when empty', () => {
    const h = histogram()
    try {
      expect(stats(h)).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 })
      for (let ms = 1; ms <= 1000; ms++) h.recordValue(micros(ms))
      const s = stats(h)
      expect(s.count).toBe(1000)
      expect(s.min).toBeCloseTo(1, 2)
      expect(s.mean).toBeCloseTo(500.5, 0)
      expect(s.p50).toBeCloseTo(500, 0)
      expect(s.p90).toBeCloseTo(900, 0)
      expect(s.p99).toBeCloseTo(990, 0)
      expect(s.p999).toBeCloseTo(999, 0)
      expect(s.max).toBeCloseTo(1000, 0)
    } finally {
      h.destroy()
    }
  })
})
