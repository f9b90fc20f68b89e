import type { Outgoing } from '../actors/types.js'
import { histogram, micros, stats } from '../metrics/hdr.js'
import type { Finding, RateLimitResult } from '../result.js'
import type { PolicyPlan } from '../scenarios/types.js'
import type { Outcome } from '../transport/send.js'
import { bucketSpec, take, type BucketSpec } from './bucket.js'
import { addPoint, emptyFit, estimate, type Fit } from './estimate.js'

/**
 * The rate-limit oracle (DESIGN.md sections 4 and 5, abuse.md §7): did the target's limits
 * hold against the traffic really sent?
 *
 * For each declared policy and each key (user, real source address, token, or one global key)
 * a reference token bucket built from the policy decides every request *as it is written*
 * (Sender's SentHook, in the order of `sentAt`: the moment the target could first see it), so
 * `allowed` is exactly what the declared policy admits for that traffic. The target's answer
 * arrives later: 2xx is admitted, a throttleStatus is throttled, anything else is neither.
 *
 *   overAdmitted  Σ over keys of the peak of (admitted − allowed), where allowed counts from the
 *                 write and admitted from the answer, so requests still in flight never look
 *                 admitted early. The peak, not the end value: a fixed window that lets a
 *                 double burst through at an edge and then throttles may end level with the
 *                 policy, and still let those requests through.
 *   falseThrottled  throttled requests that every covering policy's reference admitted, less
 *                 the key's admitted requests its reference refused (two requests that went
 *                 at the same moment and swapped which of them got the token are no error).
 *   estimated     the limit read from the outside (estimate.ts), from each key's admissions
 *                 after its first throttle.
 *
 * Everything is O(1) per request and the memory is one small record per key.
 */

/** KeyState is everything the oracle remembers about one key of one policy. */
interface KeyState {
  tokens: number
  at: number
  /** sentAt of the key's first request. */
  first: number
  sent: number
  allowed: number
  admitted: number
  throttled: number
  /** Peak of admitted − allowed. */
  peak: number
  falseRaw: number
  swaps: number
  /** Earliest sentAt of a throttled request (Infinity: never throttled). */
  firstThrottle: number
  fit: Fit
  /** Last RateLimit-Remaining on an admitted response, and when that request was sent. */
  lastRemaining: number
  lastRemainingAt: number
}

/** HeaderTally counts what the rate-limit headers said. */
interface HeaderTally {
  throttled: number
  usableRetryAfter: number
  remainingSeen: number
  pairs: number
  decreased: number
  increased: number
}

class PolicyState {
  readonly keys = new Map<number, KeyState>()
  readonly spec: BucketSpec
  readonly covers: boolean[] = []
  readonly headers: HeaderTally = { throttled: 0, usableRetryAfter: 0, remainingSeen: 0, pairs: 0, decreased: 0, increased: 0 }
  /** One token's refill time: two admitted answers closer than this must not show more quota remaining. */
  readonly tokenMs: number

  constructor(readonly policy: PolicyPlan, endpoints: readonly string[]) {
    this.spec = bucketSpec(policy)
    this.tokenMs = policy.perMs / policy.limit
    endpoints.forEach((name, i) => (this.covers[i] = (policy.on as readonly string[]).includes(name)))
  }

  key(at: number, k: number): KeyState {
    let s = this.keys.get(k)
    if (s === undefined) {
      s = {
        tokens: this.spec.capacity, at, first: at, sent: 0, allowed: 0, admitted: 0, throttled: 0, peak: 0,
        falseRaw: 0, swaps: 0, firstThrottle: Infinity, fit: emptyFit(), lastRemaining: -1, lastRemainingAt: 0,
      }
      this.keys.set(k, s)
    }
    return s
  }
}

/** OracleOptions tell the oracle how to classify answers and where a request really came from. */
export interface OracleOptions {
  policies: readonly PolicyPlan[]
  throttleStatus: readonly number[]
  /** Endpoint names by Outgoing.endpoint index. */
  endpoints: readonly string[]
  /** addressOf returns the real source address of pool `source` (the key of per-IP policies). */
  addressOf(source: number): string
}

/** MAX_POLICIES is how many policies fit in a request's mark (one bit each). */
export const MAX_POLICIES = 30

/** RateLimitOracle replays every request through the declared policies and compares with the target's answers. */
export class RateLimitOracle {
  private readonly states: PolicyState[]
  private readonly throttle = new Uint8Array(600)
  /** Per endpoint: the mark bits of the policies covering it. */
  private readonly coverMask: number[]
  private readonly sourceKeys: number[] = []
  private readonly addressKeys = new Map<string, number>()

  constructor(private readonly o: OracleOptions) {
    if (o.policies.length > MAX_POLICIES) throw new RangeError(`at most ${MAX_POLICIES} policies`)
    this.states = o.policies.map((p) => new PolicyState(p, o.endpoints))
    for (const s of o.throttleStatus) if (s >= 0 && s < 600) this.throttle[s] = 1
    this.coverMask = o.endpoints.map((_, e) => this.states.reduce((m, s, i) => (s.covers[e] ? m | (1 << i) : m), 0))
  }

  /** keyOf returns the key of `req` under `policy`, or −1 when the request has none (no valid token). */
  private keyOf(policy: PolicyPlan, req: Outgoing): number {
    switch (policy.key) {
      case 'user': return req.user
      case 'token': return req.token
      case 'global': return 0
      case 'ip': return this.sourceKeys[req.source] ?? this.internSource(req.source)
    }
  }

  /** The per-IP key is the real source address: pools bound to the same address share it; forwarding headers never make one. */
  private internSource(source: number): number {
    const address = this.o.addressOf(source)
    let k = this.addressKeys.get(address)
    if (k === undefined) {
      k = this.addressKeys.size
      this.addressKeys.set(address, k)
    }
    this.sourceKeys[source] = k
    return k
  }

  /** sent decides `req`, written at `at`, under every covering policy; bit i of the result is set when policy i admits it. */
  readonly sent = (req: Outgoing, at: number): number => {
    if (this.coverMask[req.endpoint] === undefined || this.coverMask[req.endpoint] === 0) return 0
    let mark = 0
    for (let i = 0; i < this.states.length; i++) {
      const p = this.states[i]!
      if (!p.covers[req.endpoint]) continue
      const k = this.keyOf(p.policy, req)
      if (k < 0) continue
      const s = p.key(at, k)
      s.sent++
      if (take(p.spec, s, at)) {
        s.allowed++
        mark |= 1 << i
      }
    }
    return mark
  }

  /** done compares the target's answer to `req` with the reference; `mark` is what sent() returned (−1: never written). */
  readonly done = (req: Outgoing, r: Outcome, _intendedMs: number, _actor: number, mark: number): void => {
    const cover = this.coverMask[req.endpoint]
    if (mark < 0 || cover === undefined || cover === 0) return
    const ok = r.error === null && r.status >= 200 && r.status < 300
    const throttled = r.error === null && this.throttle[r.status] === 1
    if (!ok && !throttled) return
    for (let i = 0; i < this.states.length; i++) {
      const p = this.states[i]!
      if (!p.covers[req.endpoint]) continue
      const k = this.keyOf(p.policy, req)
      if (k < 0) continue
      const s = p.keys.get(k)
      if (s === undefined) continue
      const refAdmitted = (mark & (1 << i)) !== 0
      if (ok) this.admitted(p, s, r, refAdmitted)
      else this.throttled(p, s, r, (mark & cover) === cover)
    }
  }

  private admitted(p: PolicyState, s: KeyState, r: Outcome, refAdmitted: boolean): void {
    s.admitted++
    const excess = s.admitted - s.allowed
    if (excess > s.peak) s.peak = excess
    if (!refAdmitted) s.swaps++
    // Once the key is being throttled, each admission is a point of its cumulative-admissions line.
    if (r.sentAt >= s.firstThrottle) addPoint(s.fit, r.sentAt - s.first, s.admitted)
    const remaining = r.remaining ?? -1
    if (remaining >= 0) {
      p.headers.remainingSeen++
      if (s.lastRemaining >= 0 && Math.abs(r.sentAt - s.lastRemainingAt) < p.tokenMs) {
        p.headers.pairs++
        if (remaining < s.lastRemaining) p.headers.decreased++
        else if (remaining > s.lastRemaining) p.headers.increased++
      }
      s.lastRemaining = remaining
      s.lastRemainingAt = r.sentAt
    }
  }

  private throttled(p: PolicyState, s: KeyState, r: Outcome, everyRefAdmitted: boolean): void {
    s.throttled++
    if (r.sentAt < s.firstThrottle) s.firstThrottle = r.sentAt
    if (everyRefAdmitted) s.falseRaw++
    p.headers.throttled++
    const ra = r.retryAfter ?? -1
    if (ra >= 0) p.headers.usableRetryAfter++
  }

  /**
   * results summarises every policy. `decisionSpreadMs` bounds how long after its send a
   * request may have been decided (the run's uncorrected p99); it sets the slack of the
   * material-leak rule (see materialLeak).
   */
  results(decisionSpreadMs = 0): Record<string, RateLimitResult> {
    const out: Record<string, RateLimitResult> = {}
    for (const p of this.states) out[p.policy.name] = summarise(p, decisionSpreadMs)
    return out
  }
}

function summarise(p: PolicyState, decisionSpreadMs: number): RateLimitResult {
  let sent = 0, allowed = 0, admitted = 0, throttled = 0, overAdmitted = 0, falseThrottled = 0, net = 0, leaking = 0
  const slack = slackPerKey(p.policy, decisionSpreadMs)
  const first = histogram()
  try {
    for (const s of p.keys.values()) {
      sent += s.sent
      allowed += s.allowed
      admitted += s.admitted
      throttled += s.throttled
      overAdmitted += s.peak
      if (s.peak > 0) leaking++
      net += Math.max(0, s.peak - slack)
      falseThrottled += Math.max(0, s.falseRaw - s.swaps)
      if (s.firstThrottle !== Infinity) first.recordValue(micros(s.firstThrottle - s.first))
    }
    const { limit, perMs, burst } = p.policy
    const h = p.headers
    return {
      key: p.policy.key,
      on: [...p.policy.on],
      declared: { limit, perMs, burst },
      keys: p.keys.size,
      sent, admitted, allowed, throttled, overAdmitted, falseThrottled,
      leak: sent > 0 ? overAdmitted / sent : null,
      falseThrottleRate: allowed > 0 ? falseThrottled / allowed : null,
      firstThrottleMs: stats(first),
      estimated: estimate([...p.keys.values()].map((s) => s.fit)),
      headers: {
        retryAfter: { throttled: h.throttled, usable: h.usableRetryAfter, share: h.throttled > 0 ? h.usableRetryAfter / h.throttled : null },
        rateLimitRemaining: {
          seen: h.remainingSeen, pairs: h.pairs, decreased: h.decreased, increased: h.increased,
          decreasing: h.pairs > 0 ? h.decreased > 0 && h.increased === 0 : null,
        },
      },
      material: { slackPerKey: slack, keysOver: leaking, beyondSlack: net, material: materialLeak(net, allowed) },
    }
  } finally {
    first.destroy()
  }
}

/**
 * slackPerKey is how far one key's admissions may run ahead of the reference without it being
 * a leak: one request (the target decides when a request arrives, a moment after `sentAt`,
 * so a decision at a token boundary can go either way), plus the tokens the policy refills
 * within the time it may take a request to be decided.
 */
export function slackPerKey(p: { limit: number; perMs: number }, decisionSpreadMs: number): number {
  return 1 + Math.floor((p.limit / p.perMs) * Math.max(0, decisionSpreadMs))
}

/**
 * materialLeak is the rule that fails a policy: more requests got through beyond the per-key
 * slack than 1% of what the policy allowed (the error budget of approximate limiters such as
 * sliding-window counters). Measured against `allowed`, not `sent`: a flood that is mostly
 * (rightly) throttled must not dilute a real overrun.
 */
export function materialLeak(beyondSlack: number, allowed: number): boolean {
  return beyondSlack > 0.01 * allowed
}

/** rateLimitFindings turns each policy that saw traffic into a defense verdict. */
export function rateLimitFindings(results: Record<string, RateLimitResult>): Finding[] {
  const out: Finding[] = []
  for (const [name, r] of Object.entries(results)) {
    if (r.sent === 0) continue
    const d = r.declared
    const declared = `${d.limit}/${seconds(d.perMs)} burst ${d.burst}`
    const est = r.estimated.ratePerSec === null ? 'no estimate (never throttled into a steady state)' : `estimated ${r.estimated.ratePerSec.toFixed(2)}/s burst ${r.estimated.burst?.toFixed(1)}`
    const ok = !r.material.material
    const message = ok
      ? `held: ${r.admitted} of ${r.sent} admitted within the declared ${declared} per ${r.key}; ${est}`
      : `${r.overAdmitted} admitted beyond the declared ${declared} per ${r.key} (leak ${pct(r.leak)} of ${r.sent}, ${r.material.keysOver} of ${r.keys} keys); ${est}`
    out.push({
      actor: name, kind: 'ratelimit', ok, message,
      evidence: {
        sent: r.sent, admitted: r.admitted, allowed: r.allowed, overAdmitted: r.overAdmitted, leak: r.leak,
        falseThrottled: r.falseThrottled, ...r.material, estimated: r.estimated,
      },
    })
  }
  return out
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

function pct(v: number | null): string {
  return v === null ? 'n/a' : `${+(v * 100).toFixed(2)}%`
}
