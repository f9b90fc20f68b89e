import { describe, expect, it } from 'vitest'
import { FixedWindowLimiter, TokenBucketLimiter, type Decision, type Limiter } from '../../src/target/limiter.js'
import type { RateLimitSpec } from '../../src/target/options.js'
import { policyItem, quotaHeaders } from '../../src/target/quota.js'

function fakeClock(start = 0): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) }
}

const user: RateLimitSpec = { key: 'user', limit: 10, perMs: 10_000, burst: 5 }

/** admitted counts how many of n back-to-back requests of `key` pass. */
function admitted(l: Limiter, n: number, key = 'k'): number {
  let ok = 0
  for (let i = 0; i < n; i++) if (l.take(key).allowed) ok++
  return ok
}

describe('TokenBucketLimiter', () => {
  it('admits a burst, then one request per refill interval', () => {
    const clock = fakeClock()
    const l = new TokenBucketLimiter(user, clock.now)
    expect(admitted(l, 20)).toBe(5)
    clock.advance(999)
    expect(l.take('k').allowed).toBe(false)
    clock.advance(1)
    expect(l.take('k').allowed).toBe(true)
    expect(l.take('k').allowed).toBe(false)
    clock.advance(3000)
    expect(admitted(l, 10)).toBe(3)
  })

  it('never holds more than the burst however long the key was idle', () => {
    const clock = fakeClock()
    const l = new TokenBucketLimiter(user, clock.now)
    admitted(l, 5)
    clock.advance(3_600_000)
    expect(admitted(l, 20)).toBe(5)
  })

  it('charges nothing for a refused request (a client that keeps knocking still gets the rate)', () => {
    const clock = fakeClock()
    const l = new TokenBucketLimiter(user, clock.now)
    let ok = 0
    for (let ms = 0; ms < 60_000; ms += 10, clock.advance(10)) if (l.take('k').allowed) ok++
    expect(ok).toBe(5 + 60 - 1) // the burst, then 1/s for the rest of the minute
  })

  it('keeps keys apart', () => {
    const l = new TokenBucketLimiter(user, fakeClock().now)
    expect(admitted(l, 10, 'a')).toBe(5)
    expect(admitted(l, 10, 'b')).toBe(5)
  })

  it('reports remaining quota and when more comes', () => {
    const clock = fakeClock()
    const l = new TokenBucketLimiter(user, clock.now)
    const seen: Decision[] = []
    for (let i = 0; i < 6; i++) seen.push(l.take('k'))
    expect(seen.map((d) => d.remaining)).toEqual([4, 3, 2, 1, 0, 0])
    expect(seen.map((d) => d.allowed)).toEqual([true, true, true, true, true, false])
    expect(seen[5]!.resetMs).toBeCloseTo(1000)
    clock.advance(250)
    expect(l.take('k').resetMs).toBeCloseTo(750)
  })

  it('sweeps full buckets first when it holds too many keys (a full bucket is the same as none)', () => {
    const clock = fakeClock()
    const l = new TokenBucketLimiter(user, clock.now, 3)
    admitted(l, 5, 'drained')
    l.take('a')
    l.take('b')
    clock.advance(1000) // a and b are full again; 'drained' holds 1 token
    l.take('c')
    expect(keysOf(l)).toEqual(['drained', 'c'])
    expect(admitted(l, 5, 'drained')).toBe(1)
  })

  it('evicts the oldest keys when none is idle, so memory stays bounded', () => {
    const l = new TokenBucketLimiter(user, fakeClock().now, 3)
    for (const k of ['a', 'b', 'c', 'd', 'e']) l.take(k)
    expect(keysOf(l)).toEqual(['c', 'd', 'e'])
  })
})

function keysOf(l: TokenBucketLimiter): string[] {
  return [...(l as unknown as { buckets: Map<string, unknown> }).buckets.keys()]
}

describe('FixedWindowLimiter', () => {
  it('admits `limit` per window and resets on the edge', () => {
    const clock = fakeClock(20_000)
    const l = new FixedWindowLimiter(user, clock.now)
    expect(admitted(l, 20)).toBe(10)
    clock.set(29_999)
    expect(l.take('k').allowed).toBe(false)
    clock.set(30_000)
    expect(admitted(l, 20)).toBe(10)
  })

  it('lets a double burst through across an edge where the token bucket does not', () => {
    const fw = fakeClock(9_998)
    const fixed = new FixedWindowLimiter(user, fw.now)
    const tb = fakeClock(9_998)
    const bucket = new TokenBucketLimiter(user, tb.now)
    let fixedOk = admitted(fixed, 20)
    let bucketOk = admitted(bucket, 20)
    fw.advance(4) // 4 ms later, past the 10 s edge
    tb.advance(4)
    fixedOk += admitted(fixed, 20)
    bucketOk += admitted(bucket, 20)
    expect(fixedOk).toBe(2 * user.limit)
    expect(bucketOk).toBe(user.burst)
  })

  it('says how long until the edge', () => {
    const clock = fakeClock(12_500)
    const d = new FixedWindowLimiter(user, clock.now).take('k')
    expect(d).toEqual({ allowed: true, remaining: 9, resetMs: 7_500 })
  })
})

describe('quotaHeaders', () => {
  const ip = new TokenBucketLimiter({ key: 'ip', limit: 100, perMs: 1000, burst: 100 }, () => 0)
  const u = new TokenBucketLimiter(user, () => 0)
  const policies = new Map<Limiter, string>([[ip, policyItem(ip)], [u, policyItem(u)]])

  it('renders draft-10 RateLimit-Policy / RateLimit and the trio for the tighter limiter', () => {
    const h = quotaHeaders([], [{ limiter: ip, decision: ip.take('a') }, { limiter: u, decision: u.take('a') }], policies)
    expect(h).toEqual([
      'RateLimit-Policy', '"ip";q=100;w=1, "user";q=10;w=10',
      'RateLimit', '"ip";r=99;t=1, "user";r=4;t=1',
      'RateLimit-Limit', '10',
      'RateLimit-Remaining', '4',
      'RateLimit-Reset', '1',
    ])
  })

  it('adds Retry-After (whole seconds, at least 1) for the limiter that refused', () => {
    const slow = new TokenBucketLimiter({ key: 'user', limit: 1, perMs: 90_000, burst: 1 }, () => 0)
    slow.take('a')
    const h = quotaHeaders([], [{ limiter: slow, decision: slow.take('a') }], new Map([[slow, policyItem(slow)]]))
    expect(h.slice(-2)).toEqual(['Retry-After', '90'])
    expect(h[h.indexOf('RateLimit-Remaining') + 1]).toBe('0')
  })
})
