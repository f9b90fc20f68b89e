/**
 * Rate limiters of the reference like-API, one state per key, on an injected clock so the
 * tests run in fake time. Both count only the requests they admit: a throttled request
 * costs the client nothing (nginx `limit_req` behaves the same way), so a client that
 * keeps knocking is let in again at the policy's rate.
 */
import type { RateLimitSpec } from './options.js'

/** Clock returns the current time in milliseconds; the fixed window aligns its edges to multiples of the period on it. */
export type Clock = () => number

/** wallClock is a monotonic millisecond clock that reads as Unix time, so fixed windows align to wall-clock edges. */
export const wallClock: Clock = () => performance.timeOrigin + performance.now()

/** Decision is a limiter's answer for one request, with what the RateLimit headers report. */
export interface Decision {
  allowed: boolean
  /** Requests this key may still send right now. */
  remaining: number
  /** Milliseconds until the key has more quota (token bucket: one more token; fixed window: the next edge); 0 when full. */
  resetMs: number
}

/** Limiter admits or throttles requests per key under one RateLimitSpec. */
export interface Limiter {
  readonly spec: RateLimitSpec
  /** take decides on one request of `key`, consuming quota when it admits it. */
  take(key: string): Decision
}

/** MAX_KEYS bounds how many keys a limiter remembers; idle state is swept first, then the oldest key. */
export const MAX_KEYS = 500_000

interface Bucket {
  tokens: number
  at: number
}

/** TokenBucketLimiter refills `limit` tokens per `perMs`, holds at most `burst`, and admits a request per token. */
export class TokenBucketLimiter implements Limiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly ratePerMs: number

  constructor(
    readonly spec: RateLimitSpec,
    private readonly clock: Clock = wallClock,
    private readonly maxKeys = MAX_KEYS,
  ) {
    this.ratePerMs = spec.limit / spec.perMs
  }

  take(key: string): Decision {
    const now = this.clock()
    const { burst } = this.spec
    let b = this.buckets.get(key)
    if (b === undefined) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now)
      b = { tokens: burst, at: now }
      this.buckets.set(key, b)
    } else {
      b.tokens = Math.min(burst, b.tokens + (now - b.at) * this.ratePerMs)
      b.at = now
    }
    const allowed = b.tokens >= 1
    if (allowed) b.tokens -= 1
    const remaining = Math.floor(b.tokens)
    const resetMs = b.tokens >= burst ? 0 : (remaining + 1 - b.tokens) / this.ratePerMs
    return { allowed, remaining, resetMs }
  }

  /** A full bucket is the same as no bucket, so forgetting it changes nothing. */
  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * this.ratePerMs >= this.spec.burst) this.buckets.delete(key)
    }
    evictOldest(this.buckets, this.maxKeys)
  }
}

interface Window {
  start: number
  count: number
}

/** FixedWindowLimiter admits `limit` requests per window of `perMs` aligned to multiples of `perMs` (the fixed-window flaw). */
export class FixedWindowLimiter implements Limiter {
  private readonly windows = new Map<string, Window>()

  constructor(
    readonly spec: RateLimitSpec,
    private readonly clock: Clock = wallClock,
    private readonly maxKeys = MAX_KEYS,
  ) {}

  take(key: string): Decision {
    const now = this.clock()
    const { limit, perMs } = this.spec
    // The count resets on every edge, whatever was used just before it: 2×limit fit across one.
    const start = Math.floor(now / perMs) * perMs
    let w = this.windows.get(key)
    if (w === undefined) {
      if (this.windows.size >= this.maxKeys) this.sweep(start)
      w = { start, count: 0 }
      this.windows.set(key, w)
    } else if (w.start !== start) {
      w.start = start
      w.count = 0
    }
    const allowed = w.count < limit
    if (allowed) w.count++
    return { allowed, remaining: limit - w.count, resetMs: start + perMs - now }
  }

  private sweep(start: number): void {
    for (const [key, w] of this.windows) if (w.start !== start) this.windows.delete(key)
    evictOldest(this.windows, this.maxKeys)
  }
}

/** Forgets the oldest keys while the map is still full: they get a fresh allowance, a bounded leak we accept to bound memory. */
function evictOldest(map: Map<string, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size < max) return
    map.delete(key)
  }
}

/** createLimiter builds the limiter a server runs: a token bucket, or a fixed window under the `fixed-window` flaw. */
export function createLimiter(spec: RateLimitSpec, fixedWindow: boolean, clock: Clock = wallClock): Limiter {
  return fixedWindow ? new FixedWindowLimiter(spec, clock) : new TokenBucketLimiter(spec, clock)
}
