import { describe, expect, it } from 'vitest'
import { parseThresholdExpr, parseThresholdKey } from '../../src/verdicts/threshold-expr.js'

describe('parseThresholdKey', () => {
  it.each([
    ['latency', { name: 'latency', tags: {} }],
    ['latency{actor:organic}', { name: 'latency', tags: { actor: 'organic' } }],
    ['errors{actor:farm, endpoint:like}', { name: 'errors', tags: { actor: 'farm', endpoint: 'like' } }],
    ['ratelimit{policy:per-ip}', { name: 'ratelimit', tags: { policy: 'per-ip' } }],
  ])('%s', (text, key) => expect(parseThresholdKey(text)).toEqual({ ok: true, value: key }))

  it.each([
    ['latancy', 'unknown metric "latancy"', 'did you mean "latency"?'],
    ['latency{actor}', '"actor" is not a tag filter', 'write tag:value, e.g. actor:organic'],
    ['latency{policy:x}', 'latency has no tag "policy"', 'expected one of: actor, endpoint'],
    ['integrity{actor:x}', 'integrity has no tag "actor"', 'integrity takes no tags'],
    ['latency{actor:organic', '"latency{actor:organic" is not a metric', 'write a metric name with optional tags: latency{actor:organic}'],
  ])('%s is refused', (text, message, hint) => expect(parseThresholdKey(text)).toEqual({ ok: false, message, hint }))
})

describe('parseThresholdExpr', () => {
  it.each([
    ['latency', 'p99 < 250ms', { stat: 'p99', op: '<', value: 250 }],
    ['latency', 'p50<1.5s', { stat: 'p50', op: '<', value: 1500 }],
    ['latency', 'p99.9 <= 400', { stat: 'p99.9', op: '<=', value: 400 }],
    ['latency', 'max < 900us', { stat: 'max', op: '<', value: 0.9 }],
    ['errors', 'rate < 1%', { stat: 'rate', op: '<', value: 0.01 }],
    ['errors', 'rate < 0.05', { stat: 'rate', op: '<', value: 0.05 }],
    ['throttled', 'count == 0', { stat: 'count', op: '==', value: 0 }],
    ['requests', 'rate > 100/s', { stat: 'rate', op: '>', value: 100 }],
    ['requests', 'rate >= 600/min', { stat: 'rate', op: '>=', value: 10 }],
    ['ratelimit', 'leak < 1%', { stat: 'leak', op: '<', value: 0.01 }],
    ['ratelimit', 'estimatedBurst != 5', { stat: 'estimatedBurst', op: '!=', value: 5 }],
    ['integrity', 'overcount == 0', { stat: 'overcount', op: '==', value: 0 }],
  ])('%s: %s', (metric, text, expr) => expect(parseThresholdExpr(metric, text)).toEqual({ ok: true, value: expr }))

  it.each([
    ['integrity', 'overcount = 0', '"overcount = 0" uses =', 'write == to compare: overcount == 0'],
    ['errors', 'rate < 5', '5 is not a fraction between 0 and 1', 'write 5% for a percentage'],
    ['errors', 'p99 < 5ms', 'errors has no stat "p99"', 'expected one of: rate, count'],
    ['latency', 'p99 < 5%', '"5%" has the wrong unit', 'a time such as 250ms or 1.5s'],
    ['latency', 'p99 under 5ms', '"p99 under 5ms" is not a threshold', 'write stat op value, e.g. p99 < 250ms or rate < 1%'],
    ['ratelimit', 'leek < 1%', 'ratelimit has no stat "leek"', 'did you mean "leak"?'],
  ])('%s: %s is refused', (metric, text, message, hint) => expect(parseThresholdExpr(metric, text)).toEqual({ ok: false, message, hint }))
})
