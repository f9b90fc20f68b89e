import { addEncoded, histogram } from '../metrics/hdr.js'
import type { EncodedRecorder } from '../metrics/recorder.js'
import type { Counts, LatencySection, RateLimitResult, RunResult, Stats, ThresholdResult } from '../result.js'
import type { ThresholdOp, ThresholdPlan } from '../scenarios/types.js'
import { percentileOf } from './threshold-expr.js'

/**
 * Evaluating thresholds (the mini-language is in threshold-expr.ts) on a result: each one's
 * value in its stat's base unit, and whether it passes.
 *
 * Values come from the result's figures wherever they hold the answer — the Stats of the run,
 * an actor or an actor × endpoint, the counters, the ratelimit and integrity sections. Only a
 * percentile the Stats do not keep (p75, p99.99), or a latency filtered by endpoint across all
 * actors, needs histograms: the per-slot ones of the Recorder (EncodedRecorder), fetched
 * lazily, or, for corrected latency over the whole run, the result's `latency.hdr`.
 *
 * No data passes: a threshold whose metric has no data (no responses for a latency, no
 * requests for a share, no traffic under a policy, no integrity read) has value null and is
 * ok, as k6 does. Use `requests{...}: [count > 0]` to insist that something happened.
 */

/** ThresholdView is the part of a result thresholds are evaluated on (a live one during the run). */
export type ThresholdView = Pick<RunResult, 'totals' | 'latency' | 'actors' | 'ratelimit' | 'integrity'>

/** Histograms returns the Recorder's encoded slots, when it is at hand. */
export type Histograms = () => EncodedRecorder | undefined

/** evaluateThresholds evaluates every threshold on `view`. */
export function evaluateThresholds(list: readonly ThresholdPlan[], view: ThresholdView, histograms: Histograms = () => undefined): ThresholdResult[] {
  let encoded: EncodedRecorder | undefined | null = null
  const lazy = () => (encoded === null ? (encoded = histograms()) : encoded)
  return list.map((t) => {
    const value = thresholdValue(t, view, lazy)
    return { metric: t.metric, expr: t.expr, value: value === null ? null : round(value), ok: value === null || compare(value, t.op, t.value) }
  })
}

/** compare applies a threshold operator. */
export function compare(value: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<': return value < limit
    case '<=': return value <= limit
    case '>': return value > limit
    case '>=': return value >= limit
    case '==': return value === limit
    case '!=': return value !== limit
  }
}

/** thresholdValue measures a threshold's metric and stat on `view`; null when there is no data. */
export function thresholdValue(t: ThresholdPlan, view: ThresholdView, histograms: Histograms): number | null {
  switch (t.name) {
    case 'latency': return latency(t, view, 'corrected', histograms)
    case 'latency_uncorrected': return latency(t, view, 'uncorrected', histograms)
    case 'send_lag': return latency(t, view, 'sendLag', histograms)
    case 'requests': return requests(t, view)
    case 'errors': return share(t, view, (c) => c.errors)
    case 'throttled': return share(t, view, (c) => c.throttled)
    case 'rejected': return share(t, view, (c) => c.rejected)
    case 'dropped': return dropped(t, view)
    case 'ratelimit': return ratelimit(t, view)
    case 'integrity': return integrity(t, view)
    default: return null
  }
}

type Kind = 'corrected' | 'uncorrected' | 'sendLag'
type CountsRps = Counts & { rps: number }

/** scoped returns the counters a threshold's actor and endpoint tags select (summed over actors for an endpoint alone). */
function scoped(t: ThresholdPlan, view: ThresholdView): CountsRps {
  const { actor, endpoint } = t.tags
  if (actor !== undefined) {
    const a = view.actors[actor]
    if (a === undefined) return zero()
    if (endpoint === undefined) return a
    return a.endpoints[endpoint] ?? zero()
  }
  if (endpoint === undefined) return view.totals
  const sum = zero()
  for (const a of Object.values(view.actors)) {
    const e = a.endpoints[endpoint]
    if (e === undefined) continue
    for (const k of ['requests', 'responses', 'errors', 'throttled', 'rejected', 'dropped', 'rps'] as const) sum[k] += e[k]
  }
  return sum
}

function zero(): CountsRps {
  return { requests: 0, responses: 0, errors: 0, throttled: 0, rejected: 0, dropped: 0, rps: 0, status: {}, errorKinds: {} }
}

function requests(t: ThresholdPlan, view: ThresholdView): number {
  const c = scoped(t, view)
  return t.stat === 'rate' ? c.rps : c.requests
}

function share(t: ThresholdPlan, view: ThresholdView, pick: (c: Counts) => number): number | null {
  const c = scoped(t, view)
  if (t.stat === 'count') return pick(c)
  return c.requests > 0 ? pick(c) / c.requests : null
}

function dropped(t: ThresholdPlan, view: ThresholdView): number | null {
  const c = scoped(t, view)
  if (t.stat === 'count') return c.dropped
  const offered = c.requests + c.dropped
  return offered > 0 ? c.dropped / offered : null
}

const STATS_FIELDS: Record<string, keyof Stats> = {
  min: 'min', max: 'max', mean: 'mean', avg: 'mean', p50: 'p50', p90: 'p90', p95: 'p95', p99: 'p99', p999: 'p999',
}

function latency(t: ThresholdPlan, view: ThresholdView, kind: Kind, histograms: Histograms): number | null {
  const { actor, endpoint } = t.tags
  const field = STATS_FIELDS[t.stat]
  // Fast path: the Stats the result already holds.
  if (field !== undefined && (actor !== undefined || endpoint === undefined)) {
    const l = scopedLatency(view, actor, endpoint)
    if (l === undefined) return null
    const s = l[kind]
    return s.count > 0 ? s[field] : null
  }
  return fromHistograms(t, view, kind, histograms)
}

function scopedLatency(view: ThresholdView, actor: string | undefined, endpoint: string | undefined): LatencySection | undefined {
  if (actor === undefined) return view.latency
  const a = view.actors[actor]
  if (a === undefined) return undefined
  return endpoint === undefined ? a.latency : a.endpoints[endpoint]?.latency
}

/** fromHistograms merges the selected slots' histograms and reads the stat off them. */
function fromHistograms(t: ThresholdPlan, view: ThresholdView, kind: Kind, histograms: Histograms): number | null {
  const { actor, endpoint } = t.tags
  const h = histogram()
  try {
    const encoded = histograms()
    if (encoded !== undefined) {
      for (const [name, a] of Object.entries(encoded.actors)) {
        if (actor !== undefined && name !== actor) continue
        for (const [ep, slot] of Object.entries(a.endpoints)) {
          if (endpoint !== undefined && ep !== endpoint) continue
          addEncoded(h, slot[kind])
        }
      }
    } else if (kind === 'corrected' && actor === undefined && endpoint === undefined && view.latency.hdr) {
      addEncoded(h, view.latency.hdr)
    } else {
      return null
    }
    if (h.totalCount === 0) return null
    const p = percentileOf(t.stat)
    if (p !== undefined) return h.getValueAtPercentile(p) / 1000
    switch (t.stat) {
      case 'min': return h.getValueAtPercentile(0) / 1000
      case 'max': return h.getValueAtPercentile(100) / 1000
      default: return h.mean / 1000
    }
  } finally {
    h.destroy()
  }
}

function ratelimit(t: ThresholdPlan, view: ThresholdView): number | null {
  const name = t.tags.policy
  const all = Object.values(view.ratelimit)
  const picked = name !== undefined ? view.ratelimit[name] : all.length === 1 ? all[0] : undefined
  if (picked !== undefined) return policyStat(picked, t.stat)
  // Several policies and no tag: shares and counts over all of them; an estimate needs a policy.
  const sum = (f: (r: RateLimitResult) => number) => all.reduce((n, r) => n + f(r), 0)
  const sent = sum((r) => r.sent)
  const allowed = sum((r) => r.allowed)
  switch (t.stat) {
    case 'overAdmitted': return sum((r) => r.overAdmitted)
    case 'falseThrottled': return sum((r) => r.falseThrottled)
    case 'leak': return sent > 0 ? sum((r) => r.overAdmitted) / sent : null
    case 'falseThrottleRate': return allowed > 0 ? sum((r) => r.falseThrottled) / allowed : null
    default: return null
  }
}

function policyStat(r: RateLimitResult, stat: string): number | null {
  switch (stat) {
    case 'leak': return r.leak
    case 'overAdmitted': return r.sent > 0 ? r.overAdmitted : null
    case 'falseThrottled': return r.sent > 0 ? r.falseThrottled : null
    case 'falseThrottleRate': return r.falseThrottleRate
    case 'estimatedRate': return r.estimated.ratePerSec
    case 'estimatedBurst': return r.estimated.burst
    default: return null
  }
}

function integrity(t: ThresholdPlan, view: ThresholdView): number | null {
  const i = view.integrity
  if (i === null || i.posts === 0) return null
  return t.stat === 'undercount' ? i.undercount : i.overcount
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6
}
