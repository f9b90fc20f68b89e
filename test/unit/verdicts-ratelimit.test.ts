import { describe, expect, it } from 'vitest'
import { Endpoint, ENDPOINT_NAMES, type Outgoing } from '../../src/actors/types.js'
import { FixedWindowLimiter, TokenBucketLimiter, type Limiter } from '../../src/target/limiter.js'
import type { PolicyPlan } from '../../src/scenarios/types.js'
import type { Outcome } from '../../src/transport/send.js'
import { materialLeak, RateLimitOracle, rateLimitFindings, slackPerKey } from '../../src/verdicts/ratelimit.js'

/**
 * The oracle in fake time: synthetic traffic answered by limiters with known behaviour (the
 * built-in target's token bucket and fixed window on a fake clock, and a limiter that counts
 * the requests it rejects), checked against the declared policy.
 */

const PER_USER: PolicyPlan = { name: 'per-user', key: 'user', limit: 10, perMs: 10_000, burst: 5, on: ['like', 'unlike'] }

function oracle(policies: PolicyPlan[] = [PER_USER], addressOf = (s: number) => (s === 0 ? '127.0.0.1' : `127.0.0.${s + 1}`)): RateLimitOracle {
  return new RateLimitOracle({ policies, throttleStatus: [429], endpoints: ENDPOINT_NAMES, addressOf })
}

function req(user: number, over: Partial<Outgoing> = {}): Outgoing {
  return { method: 'POST', path: '/v1/posts/1/likes', headers: [], endpoint: Endpoint.like, source: 0, user, post: 1, ip: -1, token: user, ...over }
}

function outcome(status: number, sentAt: number, over: Partial<Outcome> = {}): Outcome {
  return { status, error: null, sentAt, endedAt: sentAt + 1, bytes: 0, body: undefined, ...over }
}

/** Decide is a limiter under test: does it admit `key` at time `t`? */
type Decide = (key: number, t: number) => boolean

function fromLimiter(make: (clock: () => number) => Limiter): Decide {
  let now = 0
  const l = make(() => now)
  return (key, t) => {
    now = t
    return l.take(String(key)).allowed
  }
}

const bucket = (limit: number, perMs: number, burst: number) => fromLimiter((c) => new TokenBucketLimiter({ key: 'user', limit, perMs, burst }, c))
const fixedWindow = (limit: number, perMs: number) => fromLimiter((c) => new FixedWindowLimiter({ key: 'user', limit, perMs, burst: limit }, c))

/** countsRejected admits at most `limit` attempts per sliding `perMs`, counting the ones it rejects too. */
function countsRejected(limit: number, perMs: number): Decide {
  const log = new Map<number, number[]>()
  return (key, t) => {
    const attempts = (log.get(key) ?? []).filter((a) => a > t - perMs)
    const ok = attempts.length < limit
    attempts.push(t)
    log.set(key, attempts)
    return ok
  }
}

/** flood sends for each key every `gapMs` from its start until `endMs`, in time order, answered by `decide`. */
function flood(o: RateLimitOracle, decide: Decide, keys: Array<{ user: number; startMs: number }>, gapMs: number, endMs: number): void {
  const sends: Array<[number, number]> = []
  for (const k of keys) for (let t = k.startMs; t < endMs; t += gapMs) sends.push([t, k.user])
  sends.sort((a, b) => a[0] - b[0])
  for (const [t, user] of sends) {
    const r = req(user)
    const mark = o.sent(r, t)
    o.done(r, outcome(decide(user, t) ? 201 : 429, t), t, 0, mark)
  }
}

describe('estimating the limit from the outside', () => {
  it('reads rate and burst off a token bucket: 1/s, burst 5', () => {
    const o = oracle()
    flood(o, bucket(10, 10_000, 5), [0, 1, 2].map((user) => ({ user, startMs: user * 7 })), 100, 15_000)
    const r = o.results()['per-user']!
    expect(r.estimated.ratePerSec).toBeCloseTo(1, 1)
    expect(Math.abs(r.estimated.ratePerSec! - 1)).toBeLessThan(0.02)
    expect(Math.abs(r.estimated.burst! - 5)).toBeLessThan(0.2)
    expect(r.estimated.keys).toBe(3)
    expect(r.estimated.samples).toBeGreaterThanOrEqual(3 * 13)
    expect(r).toMatchObject({ keys: 3, overAdmitted: 0, falseThrottled: 0, leak: 0, material: { material: false } })
    expect(r.allowed).toBe(r.admitted)
    // First throttle: the 6th request of each key, 500 ms in (HDR keeps three significant digits).
    expect(r.firstThrottleMs.count).toBe(3)
    expect(r.firstThrottleMs.min).toBeCloseTo(500, -1)
    expect(r.firstThrottleMs.max).toBeCloseTo(500, -1)
  })

  it('keeps a burst counted before the first 429 from inflating the estimate (the bucket refills while drained)', () => {
    const o = oracle([{ ...PER_USER, limit: 5, perMs: 1000, burst: 5 }])
    // 5/s with burst 5 at 10/s: ten admissions before the first 429, but the burst is 5.
    flood(o, bucket(5, 1000, 5), [{ user: 0, startMs: 0 }], 100, 10_000)
    const r = o.results()['per-user']!
    expect(r.firstThrottleMs.min).toBeGreaterThan(890)
    expect(Math.abs(r.estimated.ratePerSec! - 5)).toBeLessThan(0.25)
    expect(Math.abs(r.estimated.burst! - 5)).toBeLessThan(1)
  })

  it('pools keys that start late on their own time axes', () => {
    const o = oracle()
    flood(o, bucket(10, 10_000, 5), [{ user: 0, startMs: 0 }, { user: 1, startMs: 5_000 }, { user: 2, startMs: 9_300 }], 50, 20_000)
    const r = o.results()['per-user']!
    expect(Math.abs(r.estimated.ratePerSec! - 1)).toBeLessThan(0.02)
    expect(Math.abs(r.estimated.burst! - 5)).toBeLessThan(0.2)
    expect(r.estimated.keys).toBe(3)
  })

  it('works from a single key', () => {
    const o = oracle()
    flood(o, bucket(10, 10_000, 5), [{ user: 4, startMs: 0 }], 100, 8_000)
    const r = o.results()['per-user']!
    expect(r.estimated.keys).toBe(1)
    expect(Math.abs(r.estimated.ratePerSec! - 1)).toBeLessThan(0.05)
    expect(Math.abs(r.estimated.burst! - 5)).toBeLessThan(0.3)
  })

  it('has no estimate when nothing was ever throttled', () => {
    const o = oracle()
    flood(o, bucket(10, 10_000, 5), [0, 1].map((user) => ({ user, startMs: 0 })), 2000, 10_000)
    const r = o.results()['per-user']!
    expect(r.estimated).toEqual({ ratePerSec: null, burst: null, keys: 0, samples: 0 })
    expect(r).toMatchObject({ throttled: 0, overAdmitted: 0, falseThrottled: 0, falseThrottleRate: 0, firstThrottleMs: { count: 0 } })
  })

  it('reads an empty bucket when a key is throttled from its very first request', () => {
    const o = oracle()
    const decide = bucket(10, 10_000, 5)
    for (let i = 0; i < 5; i++) decide(9, 0) // someone else drained user 9's bucket before the run
    flood(o, decide, [{ user: 9, startMs: 0 }], 100, 10_000)
    const r = o.results()['per-user']!
    expect(r.firstThrottleMs).toMatchObject({ count: 1, max: 0 })
    expect(Math.abs(r.estimated.ratePerSec! - 1)).toBeLessThan(0.05)
    expect(Math.abs(r.estimated.burst!)).toBeLessThan(0.3)
    // The policy would have let the first five through: they were throttled falsely; nothing leaked.
    expect(r.falseThrottled).toBe(5)
    expect(r.overAdmitted).toBe(0)
  })

  it('sees a fixed window: a double burst over-admitted at the start and at each edge, the long-run rate still L/W', () => {
    const o = oracle()
    flood(o, fixedWindow(10, 10_000), [0, 1, 2].map((user) => ({ user, startMs: 2_000 + user })), 100, 42_000)
    const r = o.results()['per-user']!
    // A fresh window lets 10 through at once where the bucket holds 5: 5 ahead at the start. At the
    // edge at 10 s the window lets 10 more through where the bucket has refilled 8: 7 ahead.
    expect(r.overAdmitted).toBe(3 * 7)
    expect(r.material.material).toBe(true)
    expect(Math.abs(r.estimated.ratePerSec! - 1)).toBeLessThan(0.1)
    expect(rateLimitFindings(o.results())[0]).toMatchObject({ actor: 'per-user', kind: 'ratelimit', ok: false })
  })

  it('reports no rate for a limiter that counts the requests it rejects (a client that keeps knocking is never let in again)', () => {
    const o = oracle([{ ...PER_USER, burst: 10 }])
    flood(o, countsRejected(10, 10_000), [0, 1].map((user) => ({ user, startMs: 0 })), 100, 15_000)
    const r = o.results()['per-user']!
    expect(r.admitted).toBe(20)
    expect(r.estimated.ratePerSec).toBeNull()
    expect(r.estimated.samples).toBe(0)
    // The policy refills 1/s: everything it would have let in after the burst was throttled.
    expect(r.falseThrottled).toBeGreaterThanOrEqual(2 * 13)
    expect(r.falseThrottleRate).toBeGreaterThan(0.5)
    expect(r.overAdmitted).toBe(0)
  })
})

describe('the oracle', () => {
  it('keys per-IP policies by the real source address: forwarding headers make no keys, pools on one address share one', () => {
    const o = oracle([{ name: 'per-ip', key: 'ip', limit: 2, perMs: 1000, burst: 2, on: ['like'] }], (s) => ['127.0.0.1', '127.0.0.2', '127.0.0.1'][s]!)
    for (let i = 0; i < 30; i++) {
      const r = req(i, { source: i % 3, headers: ['x-forwarded-for', `198.18.0.${i}`] })
      o.done(r, outcome(201, 0), 0, 0, o.sent(r, 0))
    }
    const r = o.results()['per-ip']!
    expect(r.keys).toBe(2)
    expect(r.allowed).toBe(4)
    expect(r.overAdmitted).toBe(30 - 4)
    expect(r.leak).toBeCloseTo(26 / 30)
    expect(r.material.material).toBe(true)
  })

  it('skips requests without a key, endpoints the policy does not cover, and requests never written', () => {
    const o = oracle([{ name: 'per-token', key: 'token', limit: 1, perMs: 1000, burst: 1, on: ['like'] }])
    const noToken = req(1, { token: -1 })
    o.done(noToken, outcome(201, 0), 0, 0, o.sent(noToken, 0))
    const read = req(1, { endpoint: Endpoint.read })
    expect(o.sent(read, 0)).toBe(0)
    o.done(read, outcome(200, 0), 0, 0, 0)
    o.done(req(1), outcome(0, 0, { error: 'refused' }), 0, 0, -1)
    expect(o.results()['per-token']).toMatchObject({ keys: 0, sent: 0, leak: null, falseThrottleRate: null })
    expect(rateLimitFindings(o.results())).toEqual([])
  })

  it('does not count a throttle another declared policy explains as false', () => {
    const perIp: PolicyPlan = { name: 'per-ip', key: 'ip', limit: 1, perMs: 1000, burst: 1, on: ['like'] }
    const o = oracle([PER_USER, perIp])
    // Two users from one address at once: per-ip refuses the second; per-user would admit both.
    for (const user of [0, 1]) {
      const r = req(user)
      o.done(r, outcome(user === 0 ? 201 : 429, 0), 0, 0, o.sent(r, 0))
    }
    const res = o.results()
    expect(res['per-user']!.falseThrottled).toBe(0)
    expect(res['per-ip']!.falseThrottled).toBe(0)
  })

  it('counts two requests of one moment that swapped which got the token as neither a leak nor a false throttle', () => {
    const o = oracle([{ ...PER_USER, burst: 1 }])
    const a = req(0)
    const b = req(0)
    const ma = o.sent(a, 0)
    const mb = o.sent(b, 0.01)
    o.done(b, outcome(201, 0.01), 0, 0, mb) // the target let the second one in
    o.done(a, outcome(429, 0), 0, 0, ma)
    expect(o.results()['per-user']).toMatchObject({ overAdmitted: 0, falseThrottled: 0 })
  })

  it('never counts a request in flight as admitted early: the reference counts from the write', () => {
    const o = oracle([{ ...PER_USER, burst: 2 }])
    const reqs = [req(0), req(0), req(0)]
    const marks = reqs.map((r) => o.sent(r, 0))
    // Answers come back in another order than the writes.
    o.done(reqs[2]!, outcome(201, 0), 0, 0, marks[2]!)
    o.done(reqs[0]!, outcome(201, 0), 0, 0, marks[0]!)
    o.done(reqs[1]!, outcome(429, 0), 0, 0, marks[1]!)
    expect(o.results()['per-user']).toMatchObject({ overAdmitted: 0, falseThrottled: 0, admitted: 2, allowed: 2 })
  })

  it('checks the rate-limit headers: usable Retry-After on 429s, a remaining quota that goes down', () => {
    const o = oracle()
    const answers: Array<[number, Partial<Outcome>, number]> = [
      [201, { remaining: 4 }, 0], [201, { remaining: 3 }, 10], [201, { remaining: 3 }, 20], [201, { remaining: 2 }, 30],
      [429, { retryAfter: 1 }, 40], [429, { retryAfter: Number.NaN }, 50], [429, {}, 60],
    ]
    for (const [status, extra, t] of answers) {
      const r = req(0)
      o.done(r, outcome(status, t, extra), t, 0, o.sent(r, t))
    }
    const h = o.results()['per-user']!.headers
    expect(h.retryAfter).toEqual({ throttled: 3, usable: 1, share: 1 / 3 })
    expect(h.rateLimitRemaining).toEqual({ seen: 4, pairs: 3, decreased: 2, increased: 0, decreasing: true })
  })

  it('flags a remaining quota that goes up between close answers', () => {
    const o = oracle()
    for (const [i, remaining] of [4, 4, 5, 4].entries()) {
      const r = req(0)
      o.done(r, outcome(201, i, { remaining }), i, 0, o.sent(r, i))
    }
    expect(o.results()['per-user']!.headers.rateLimitRemaining.decreasing).toBe(false)
  })
})

describe('the material-leak rule', () => {
  it.each([
    // [limit, perMs, decision spread ms, slack]
    [10, 10_000, 0, 1], [10, 10_000, 100, 1], [1000, 1000, 5, 6], [100, 1000, 25, 3],
  ])('slack per key for %i per %i ms with %i ms to decide: %i', (limit, perMs, spread, slack) => {
    expect(slackPerKey({ limit, perMs }, spread)).toBe(slack)
  })

  it.each([
    [0, 10, false], [1, 10, true], [1, 100, false], [2, 100, true], [10, 2000, false], [21, 2000, true],
  ])('%i beyond the slack with %i allowed: material %s', (beyond, allowed, material) => {
    expect(materialLeak(beyond, allowed)).toBe(material)
  })
})
