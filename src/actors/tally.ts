import { randomAt } from '../rng.js'
import type { Plan, PolicyKey } from '../scenarios/types.js'
import type { Sent } from './types.js'

/**
 * What the abusive actors share: sorting answers into classes, the permutation that spreads
 * arrivals over identities, and the limits a kind of traffic is judged against when it asks
 * "should a defended API have throttled this at all?". That question is deliberately coarse
 * (the precise per-key comparison is the rate-limit oracle's job): an actor whose traffic
 * stays within every limit it is judged against is not blamed for going unthrottled.
 */

/** Answer names the classes of answers: admitted (2xx), throttled (throttleStatus), rejected (other 3xx/4xx), failed (5xx or transport error). */
export const Answer = { admitted: 0, throttled: 1, rejected: 2, failed: 3 } as const

/** classOf sorts one answer into an Answer class. */
export function classOf(r: Sent, throttleStatus: readonly number[]): number {
  if (r.error !== null || r.status >= 500 || r.status === 0) return Answer.failed
  if (throttleStatus.includes(r.status)) return Answer.throttled
  if (r.status >= 200 && r.status < 300) return Answer.admitted
  return Answer.rejected
}

/** Tally counts answers by class. */
export class Tally {
  sent = 0
  admitted = 0
  throttled = 0
  rejected = 0
  failed = 0

  constructor(private readonly throttleStatus: readonly number[]) {}

  /** add counts one answer and returns its class. */
  add(r: Sent): number {
    const c = classOf(r, this.throttleStatus)
    this.sent++
    if (c === Answer.admitted) this.admitted++
    else if (c === Answer.throttled) this.throttled++
    else if (c === Answer.rejected) this.rejected++
    else this.failed++
    return c
  }

  /** absorb adds another tally's counts (Actor.absorb). */
  absorb(c: ReturnType<Tally['counts']>): void {
    addCounts(this, c)
  }

  /** counts returns the tally as plain evidence. */
  counts(): { sent: number; admitted: number; throttled: number; rejected: number; failed: number } {
    return { sent: this.sent, admitted: this.admitted, throttled: this.throttled, rejected: this.rejected, failed: this.failed }
  }
}

/** Span tracks the first and last scheduled time an actor sent at. */
export class Span {
  first = Infinity
  last = -Infinity

  /** add notes one send time. */
  add(t: number): void {
    if (t < this.first) this.first = t
    if (t > this.last) this.last = t
  }

  /** state returns the span on a timebase `shift` ms ahead (Actor.state). */
  state(shift: number): { first: number; last: number } {
    return { first: this.first + shift, last: this.last + shift }
  }

  /** absorb widens the span to cover another one (on this span's timebase). */
  absorb(s: { first: number; last: number }): void {
    if (s.first < this.first) this.first = s.first
    if (s.last > this.last) this.last = s.last
  }

  /** ms returns the time between the first and last send (0 before two sends). */
  get ms(): number {
    return this.last > this.first ? this.last - this.first : 0
  }
}

/** addCounts adds every numeric field of `from` into the same field of `into` (merging finding counters across workers). */
export function addCounts<T extends object>(into: T, from: T): void {
  const a = into as Record<string, number>
  for (const [k, v] of Object.entries(from)) if (typeof v === 'number') a[k] = (a[k] ?? 0) + v
}

/** addArrays adds `from` element-wise into `into` (per-address or per-account counters). */
export function addArrays(into: Int32Array, from: ArrayLike<number>): void {
  for (let i = 0; i < into.length && i < from.length; i++) into[i]! += from[i]!
}

/** Bound is a rate limit one key's traffic is judged against: `limit` per `perMs`, after a bucket of `burst`. */
export interface Bound {
  name: string
  key: PolicyKey
  limit: number
  perMs: number
  burst: number
}

/** BUILTIN_USER is the built-in target's default per-user limit, the reference when a scenario declares none. */
export const BUILTIN_USER: Bound = { name: 'the built-in default per-user limit', key: 'user', limit: 10, perMs: 10_000, burst: 5 }
/** BUILTIN_IP is the built-in target's default per-IP limit, the reference when a scenario declares none. */
export const BUILTIN_IP: Bound = { name: 'the built-in default per-IP limit', key: 'ip', limit: 1000, perMs: 1000, burst: 1000 }

/** boundsFor returns the scenario's policies keyed by one of `keys` that cover one of `endpoints`, or `fallback` when it declares none. */
export function boundsFor(plan: Plan, keys: readonly PolicyKey[], endpoints: readonly string[], fallback: readonly Bound[]): Bound[] {
  const declared = plan.policies.filter((p) => keys.includes(p.key) && p.on.some((e) => endpoints.includes(e)))
  if (declared.length === 0) return [...fallback]
  return declared.map((p) => ({ name: `policy ${p.name}`, key: p.key, limit: p.limit, perMs: p.perMs, burst: p.burst }))
}

/** allowance returns how many requests `b` lets one key send over `spanMs`: the bucket plus its refill. */
export function allowance(b: Bound, spanMs: number): number {
  return b.burst + (b.limit * spanMs) / b.perMs
}

/** describeBound renders a bound as "policy per-ip (100 per 1s, burst 100)". */
export function describeBound(b: Bound): string {
  const per = b.perMs % 1000 === 0 ? `${b.perMs / 1000}s` : `${b.perMs}ms`
  return `${b.name} (${b.limit} per ${per}, burst ${b.burst})`
}

/** maxOf returns the largest value of `a`, or 0 when it is empty (a loop: spreading a large array would overflow the stack). */
export function maxOf(a: ArrayLike<number>): number {
  let m = 0
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!
  return m
}

/** share renders a fraction as a percentage with one decimal. */
export function share(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${Math.round((part / whole) * 1000) / 10}%`
}

/** Permutation maps 0..size-1 onto first..first+size-1 by i ↦ first + (offset + i · stride) mod size: a pure, seeded shuffle of identities. */
export class Permutation {
  private readonly stride: number
  private readonly offset: number

  constructor(
    readonly size: number,
    key: number,
    readonly first = 0,
  ) {
    this.stride = coprimeStride(size, key)
    this.offset = Math.floor(randomAt(key, 0x7fffffff) * size)
  }

  /** at returns the image of i (any i ≥ 0; it wraps every `size`). */
  at(i: number): number {
    return this.first + ((this.offset + (i % this.size) * this.stride) % this.size)
  }
}

/** coprimeStride picks a stride coprime to n, so (i · stride) mod n visits every value once per round. */
function coprimeStride(n: number, key: number): number {
  if (n <= 2) return 1
  // Keep (n − 1) · stride below 2^53 so the product stays an exact integer.
  const max = Math.min(n - 1, Math.floor(Number.MAX_SAFE_INTEGER / n))
  let s = 1 + Math.floor(randomAt(key, 0x7ffffffe) * max)
  while (gcd(s, n) !== 1) s = (s % max) + 1
  return s
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b]
  return a
}
