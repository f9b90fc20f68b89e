import { afterAll, describe, expect, it } from 'vitest'
import { ENDPOINT_NAMES } from '../../src/actors/types.js'
import { resultFigures } from '../../src/engine/result.js'
import { Recorder } from '../../src/metrics/recorder.js'
import type { RateLimitResult } from '../../src/result.js'
import type { Plan, ThresholdPlan } from '../../src/scenarios/types.js'
import { parseThresholdExpr, parseThresholdKey } from '../../src/verdicts/threshold-expr.js'
import { compare, evaluateThresholds, type ThresholdView } from '../../src/verdicts/thresholds.js'

/**
 * Thresholds on a result built from a real Recorder fed known requests: actor "web" sends 100
 * likes answered 201 with latencies 1..100 ms, 10 unlikes answered 429 and 10 reads of which
 * 5 time out; actor "bot" sends 50 likes of 200 ms and drops 50. 10 s each: 170 requests.
 */

const plan = {
  actors: [
    { name: 'web', kind: 'organic', model: 'open', startMs: 0, durationMs: 10_000, expectedArrivals: 120 },
    { name: 'bot', kind: 'flood', model: 'open', startMs: 0, durationMs: 10_000, expectedArrivals: 100 },
  ],
} as unknown as Plan

const recorder = new Recorder({ actors: ['web', 'bot'], endpoints: ENDPOINT_NAMES, throttleStatus: [429], startMs: 0 })
const add = (actor: string, ep: string, latency: number, status: number, error: 'timeout' | null = null) =>
  recorder.add({ slot: recorder.slot(actor, ep), intendedMs: 0, sentAt: 0, endedAt: latency, status, error })
for (let i = 1; i <= 100; i++) add('web', 'like', i, 201)
for (let i = 0; i < 10; i++) add('web', 'unlike', 5, 429)
for (let i = 0; i < 10; i++) add('web', 'read', 2, i < 5 ? 200 : 0, i < 5 ? null : 'timeout')
for (let i = 0; i < 50; i++) add('bot', 'like', 200, 201)
for (let i = 0; i < 50; i++) recorder.drop(1)
afterAll(() => recorder.destroy())

function policy(over: Partial<RateLimitResult> = {}): RateLimitResult {
  return {
    key: 'user', on: ['like'], declared: { limit: 10, perMs: 10_000, burst: 5 }, keys: 3, sent: 200, admitted: 40, allowed: 36, throttled: 160,
    overAdmitted: 4, falseThrottled: 2, leak: 0.02, falseThrottleRate: 2 / 36,
    firstThrottleMs: { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 },
    estimated: { ratePerSec: 1.01, burst: 4.9, keys: 3, samples: 30 },
    headers: { retryAfter: { throttled: 0, usable: 0, share: null }, rateLimitRemaining: { seen: 0, pairs: 0, decreased: 0, increased: 0, decreasing: null } },
    material: { slackPerKey: 1, keysOver: 1, beyondSlack: 0, material: false },
    ...over,
  }
}

const view: ThresholdView = {
  ...resultFigures(plan, recorder.summary(), 10_000),
  ratelimit: { 'per-user': policy(), 'per-ip': policy({ sent: 100, overAdmitted: 0, falseThrottled: 0, allowed: 64, leak: 0, estimated: { ratePerSec: null, burst: null, keys: 0, samples: 0 } }) },
  integrity: { posts: 3, touched: 3, unread: 0, pairs: 9, ambiguous: 0, expectedMin: 9, expectedMax: 9, observed: 11, overcount: 2, undercount: 0, perPost: [], notes: [] },
}

/** threshold compiles `key: expr` as the scenario loader does. */
function threshold(key: string, expr: string): ThresholdPlan {
  const k = parseThresholdKey(key)
  if (!k.ok) throw new Error(k.message)
  const e = parseThresholdExpr(k.value.name, expr)
  if (!e.ok) throw new Error(e.message)
  return { metric: key, name: k.value.name, tags: k.value.tags, expr, ...e.value, abortOnFail: false, delayAbortEvalMs: 0 }
}

const value = (key: string, expr: string, v: ThresholdView = view, encoded = true) =>
  evaluateThresholds([threshold(key, expr)], v, () => (encoded ? recorder.encode() : undefined))[0]!.value

describe('threshold values', () => {
  it.each([
    // latency: the Stats the result holds (3 significant digits of HDR)
    ['latency{actor:web,endpoint:like}', 'p50 < 1s', 50],
    ['latency{actor:web,endpoint:like}', 'max < 1s', 100],
    ['latency{actor:web,endpoint:like}', 'min < 1s', 1],
    ['latency{actor:bot}', 'avg < 1s', 200],
    ['latency', 'max < 1s', 200],
    // arbitrary percentiles and endpoint filters across actors come from the histograms
    ['latency{actor:web,endpoint:like}', 'p75 < 1s', 75],
    ['latency{actor:web,endpoint:like}', 'p99.9 < 1s', 100],
    ['latency{actor:web,endpoint:like}', 'p999 < 1s', 100],
    ['latency{endpoint:like}', 'p50 < 1s', 75],
    ['latency{endpoint:like}', 'max < 1s', 200],
    ['latency_uncorrected{endpoint:unlike}', 'p90 < 1s', 5],
    ['send_lag{actor:bot}', 'p99 < 1s', 0],
    // shares and counts
    ['requests', 'count > 0', 170],
    ['requests{actor:web}', 'rate > 0', 12],
    ['requests{endpoint:like}', 'count > 0', 150],
    ['requests{endpoint:like}', 'rate > 0', 15],
    ['errors', 'rate < 1%', 5 / 170],
    ['errors{actor:web,endpoint:read}', 'count < 1', 5],
    ['throttled{actor:web}', 'rate < 1%', 10 / 120],
    ['throttled{endpoint:unlike}', 'rate < 1%', 1],
    ['rejected', 'count < 1', 0],
    ['dropped{actor:bot}', 'rate < 1%', 0.5],
    ['dropped', 'count < 1', 50],
    // verdict figures
    ['ratelimit{policy:per-user}', 'leak < 1%', 0.02],
    ['ratelimit{policy:per-user}', 'estimatedRate < 2/s', 1.01],
    ['ratelimit{policy:per-user}', 'estimatedBurst <= 5', 4.9],
    ['ratelimit{policy:per-user}', 'falseThrottleRate < 1%', 2 / 36],
    ['ratelimit', 'overAdmitted == 0', 4],
    ['ratelimit', 'leak < 1%', 4 / 300],
    ['ratelimit', 'falseThrottleRate < 1%', 2 / 100],
    ['integrity', 'overcount == 0', 2],
    ['integrity', 'undercount == 0', 0],
  ])('%s: %s → %d', (key, expr, expected) => {
    const v = value(key, expr)
    expect(v).not.toBeNull()
    // HDR histograms keep three significant digits.
    expect(Math.abs(v! - expected)).toBeLessThanOrEqual(Math.max(1e-6, expected * 0.001))
  })

  it.each([
    ['latency{actor:web,endpoint:login}', 'p99 < 1s'],
    ['latency{endpoint:unlike}', 'p75 < 1s'], // needs histograms, and none are at hand
    ['errors{actor:web,endpoint:login}', 'rate < 1%'],
    ['ratelimit', 'estimatedRate < 1/s'], // two policies: an estimate needs a policy tag
    ['ratelimit{policy:per-ip}', 'estimatedBurst < 1'],
  ])('no data: %s %s → null, which passes', (key, expr) => {
    const [r] = evaluateThresholds([threshold(key, expr)], view, () => undefined)
    expect(r).toEqual({ metric: key, expr, value: null, ok: true })
  })

  it('reads whole-run corrected percentiles from latency.hdr when no recorder is at hand (a saved result)', () => {
    expect(value('latency', 'p75 < 1s', view, false)).toBeCloseTo(200, -1)
  })

  it('has no integrity figures when the read-back was off or read nothing', () => {
    expect(value('integrity', 'overcount == 0', { ...view, integrity: null })).toBeNull()
    expect(value('integrity', 'overcount == 0', { ...view, integrity: { ...view.integrity!, posts: 0 } })).toBeNull()
  })

  it('decides pass and fail', () => {
    const rs = evaluateThresholds([threshold('errors', 'rate < 1%'), threshold('errors', 'rate < 5%'), threshold('latency{actor:web}', 'p50 <= 50ms')], view, () => recorder.encode())
    expect(rs.map((r) => r.ok)).toEqual([false, true, true])
    expect(rs[0]).toMatchObject({ metric: 'errors', expr: 'rate < 1%' })
  })

  it.each([
    [1, '<', 2, true], [2, '<', 2, false], [2, '<=', 2, true], [3, '>', 2, true], [2, '>=', 2, true],
    [2, '==', 2, true], [2, '!=', 2, false], [0, '==', 0, true],
  ] as const)('%d %s %d is %s', (v, op, limit, ok) => expect(compare(v, op, limit)).toBe(ok))
})
