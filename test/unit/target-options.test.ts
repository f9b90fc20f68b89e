import { describe, expect, it } from 'vitest'
import { LikebenchError } from '../../src/errors.js'
import {
  DEFAULT_RATE_LIMITS, FLAW_NAMES, parseFlaw, parseFlaws, parseLatencySpec, parseRateLimitSpec, resolveTargetConfig,
} from '../../src/target/options.js'

describe('parseFlaw', () => {
  it.each(FLAW_NAMES.filter((n) => n !== 'stall'))('accepts %s', (name) => {
    expect(parseFlaw(name)).toEqual({ ok: true, value: { name } })
  })

  it('reads stall:EVERY/FOR into milliseconds', () => {
    expect(parseFlaw('stall:5s/500ms')).toEqual({ ok: true, value: { name: 'stall', everyMs: 5000, forMs: 500 } })
  })

  it.each([
    ['racy-dedup', /unknown flaw "racy-dedup" \(did you mean racy-dedupe\?\)/],
    ['no-ratelimit', /did you mean no-rate-limit\?/],
    ['banana', /^unknown flaw "banana"$/],
    ['stall', /needs a period and a pause length/],
    ['stall:5s', /needs a period and a pause length/],
    ['stall:5/500ms', /stall period: a duration needs a unit|stall period: "5" is not a duration/],
    ['stall:1s/2s', /shorter than the period/],
    ['stall:1s/0ms', /longer than 0/],
  ])('rejects %s', (text, message) => {
    const p = parseFlaw(text)
    expect(p.ok).toBe(false)
    if (!p.ok) {
      expect(p.message).toMatch(message)
      expect(p.hint).toBeTruthy()
    }
  })

  it('lists every valid flaw in the hint of an unknown one', () => {
    const p = parseFlaw('nope')
    expect(!p.ok && p.hint).toBe(
      'valid flaws: no-dedupe, racy-dedupe, trust-forwarded, fixed-window, no-rate-limit, no-auth, crash-on-bad-id, stall:EVERY/FOR',
    )
  })
})

describe('parseFlaws', () => {
  it('turns a list into switches', () => {
    const p = parseFlaws(['racy-dedupe', 'no-auth', 'stall:1s/100ms'])
    expect(p).toMatchObject({ ok: true, value: { racyDedupe: true, noAuth: true, noDedupe: false, stall: { everyMs: 1000, forMs: 100 } } })
  })

  it.each([
    [['no-dedupe', 'racy-dedupe'], /both replace the dedupe/],
    [['no-rate-limit', 'fixed-window'], /fixed-window changes the rate limiter/],
    [['no-auth', 'nope'], /unknown flaw "nope"/],
  ])('rejects %j', (list, message) => {
    const p = parseFlaws(list)
    expect(!p.ok && p.message).toMatch(message)
  })
})

describe('parseRateLimitSpec', () => {
  it.each([
    ['user=10/10s,burst=5', { key: 'user', limit: 10, perMs: 10_000, burst: 5 }],
    ['ip=100/1s', { key: 'ip', limit: 100, perMs: 1000, burst: 100 }],
    ['ip=100/s', { key: 'ip', limit: 100, perMs: 1000, burst: 100 }],
    ['user=20/min', { key: 'user', limit: 20, perMs: 60_000, burst: 20 }],
    [' user = 3 / 500ms , burst = 1 ', { key: 'user', limit: 3, perMs: 500, burst: 1 }],
  ])('reads %s', (text, value) => {
    expect(parseRateLimitSpec(text)).toEqual({ ok: true, value })
  })

  it.each([
    ['token=10/1s', /unknown rate-limit key "token"/],
    ['user', /"user" is not a rate limit/],
    ['user=10', /"10" is not COUNT\/PERIOD/],
    ['user=ten/1s', /is not COUNT\/PERIOD/],
    ['user=0/1s', /must allow at least 1 request/],
    ['user=10/1s,burst=0', /burst must be a whole number ≥ 1 \(got "0"\)/],
    ['user=10/1s,burst=2.5', /burst must be a whole number/],
    ['user=10/1s,limit=4', /unknown setting "limit=4" in "user=10\/1s,limit=4"/],
    ['user=10/1s,burst=', /burst must be a whole number/],
  ])('rejects %s', (text, message) => {
    const p = parseRateLimitSpec(text)
    expect(p.ok).toBe(false)
    if (!p.ok) {
      expect(p.message).toMatch(message)
      expect(p.hint).toMatch(/KEY=COUNT\/PERIOD/)
    }
  })
})

describe('parseLatencySpec', () => {
  it.each([
    ['2ms', { meanMs: 2, jitterMs: 0 }],
    ['2ms±1ms', { meanMs: 2, jitterMs: 1 }],
    ['2ms+-1ms', { meanMs: 2, jitterMs: 1 }],
    ['1s ± 250ms', { meanMs: 1000, jitterMs: 250 }],
  ])('reads %s', (text, value) => {
    expect(parseLatencySpec(text)).toEqual({ ok: true, value })
  })

  it.each([
    ['2', /latency: a duration needs a unit|latency: "2" is not a duration/],
    ['2ms±', /latency jitter/],
    ['1ms±2ms', /the jitter is larger than the mean/],
    ['1ms±1ms±1ms', /is not a latency/],
  ])('rejects %s', (text, message) => {
    const p = parseLatencySpec(text)
    expect(!p.ok && p.message).toMatch(message)
  })
})

describe('resolveTargetConfig', () => {
  it('fills in the documented defaults', () => {
    const c = resolveTargetConfig({})
    expect(c.posts).toBe(10_000)
    expect(c.rateLimits).toEqual(DEFAULT_RATE_LIMITS)
    expect(c.secret.length).toBeGreaterThanOrEqual(16)
    expect(c.debugArrivals).toBe(false)
    expect(c.latency).toBeUndefined()
  })

  it('replaces only the key a --rate-limit names', () => {
    const c = resolveTargetConfig({ rateLimits: ['ip=50/1s'] })
    expect(c.rateLimits).toEqual({ user: DEFAULT_RATE_LIMITS.user, ip: { key: 'ip', limit: 50, perMs: 1000, burst: 50 } })
  })

  it('has no limiters under no-rate-limit', () => {
    expect(resolveTargetConfig({ flaws: ['no-rate-limit'] }).rateLimits).toEqual({})
  })

  it.each([
    [{ flaws: ['racy'] }, /^flaw: unknown flaw "racy"/],
    [{ rateLimits: ['user=1'] }, /^rate-limit: /],
    [{ latency: 'fast' }, /^latency: /],
    [{ posts: 0 }, /posts must be a whole number from 1/],
    [{ posts: 2.5 }, /posts must be a whole number/],
    [{ secret: '' }, /the secret is empty/],
  ])('throws a usage error for %j', (raw, message) => {
    let caught: unknown
    try {
      resolveTargetConfig(raw)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(LikebenchError)
    expect((caught as LikebenchError).message).toMatch(message)
    expect((caught as LikebenchError).exitCode).toBe(2)
  })
})
