/**
 * The reference token bucket of the rate-limit oracle: what a declared policy would admit.
 *
 * A policy `limit` per `perMs` with `burst` is a bucket of capacity `burst` that refills
 * continuously at `limit / perMs` tokens per ms and starts full; a request is admitted when
 * a whole token is there, and only an admitted request takes one (nginx `limit_req`, Go's
 * x/time/rate and the built-in target's limiter all charge admitted requests only). The
 * state is two numbers, kept by the caller per key, so the oracle's memory grows with the
 * keys it has seen and never with the requests.
 *
 * Times must not go backwards for one key: a time earlier than the last one is taken as the
 * last one (a reordered request is decided as if it came at the same moment, never earlier).
 */

/** BucketState is one key's bucket: tokens held at time `at` (ms). */
export interface BucketState {
  tokens: number
  at: number
}

/** BucketSpec is a bucket's shape: capacity and refill rate in tokens per ms. */
export interface BucketSpec {
  capacity: number
  perMs: number
}

/** bucketSpec derives a bucket from a declared policy: capacity `burst`, refill `limit / perMs`. */
export function bucketSpec(p: { limit: number; perMs: number; burst: number }): BucketSpec {
  return { capacity: p.burst, perMs: p.limit / p.perMs }
}

/** freshBucket returns a full bucket at time `at`. */
export function freshBucket(spec: BucketSpec, at: number): BucketState {
  return { tokens: spec.capacity, at }
}

/** take refills `b` up to time `t`, then admits one request if a whole token is there (and takes it). */
export function take(spec: BucketSpec, b: BucketState, t: number): boolean {
  if (t > b.at) {
    const tokens = b.tokens + (t - b.at) * spec.perMs
    b.tokens = tokens < spec.capacity ? tokens : spec.capacity
    b.at = t
  }
  // A hair of float slack: 10 refills of 0.1 must make a whole token.
  if (b.tokens >= 1 - 1e-9) {
    b.tokens -= 1
    return true
  }
  return false
}
