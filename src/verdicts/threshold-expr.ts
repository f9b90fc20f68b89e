import type { ThresholdOp } from '../scenarios/types.js'
import type { Parsed } from '../units.js'
import { didYouMean } from '../suggest.js'

/**
 * The threshold mini-language, k6's form with likebench's metrics:
 *
 *   key   := metric [ "{" tag ":" value { "," tag ":" value } "}" ]
 *   expr  := stat op value
 *   op    := "<" | "<=" | ">" | ">=" | "==" | "!="
 *   value := number [ unit ]       unit depends on the stat: ms/s/us for times,
 *                                  % for rates of requests, /s for throughput
 *
 * e.g.  latency{actor:organic}: [ p99 < 250ms, p50 < 40ms ]
 *       errors: [ rate < 1% ]        ratelimit{policy:per-ip}: [ leak < 1% ]
 */

/** StatUnit is what a stat's value measures, and so which units its threshold may be written in. */
export type StatUnit = 'time' | 'fraction' | 'count' | 'perSec' | 'number'

/** MetricSpec lists a metric's tags and stats. */
export interface MetricSpec {
  tags: readonly string[]
  stats: Readonly<Record<string, StatUnit>>
  /** Whether any `pNN` percentile is a stat of this metric (time metrics). */
  percentiles: boolean
}

const TIME_STATS = { min: 'time', max: 'time', mean: 'time', avg: 'time' } as const
const SHARE_STATS = { rate: 'fraction', count: 'count' } as const

/** METRICS is the catalogue of metrics a threshold can name. */
export const METRICS: Readonly<Record<string, MetricSpec>> = {
  latency: { tags: ['actor', 'endpoint'], stats: TIME_STATS, percentiles: true },
  latency_uncorrected: { tags: ['actor', 'endpoint'], stats: TIME_STATS, percentiles: true },
  send_lag: { tags: ['actor'], stats: TIME_STATS, percentiles: true },
  requests: { tags: ['actor', 'endpoint'], stats: { count: 'count', rate: 'perSec' }, percentiles: false },
  errors: { tags: ['actor', 'endpoint'], stats: SHARE_STATS, percentiles: false },
  throttled: { tags: ['actor', 'endpoint'], stats: SHARE_STATS, percentiles: false },
  rejected: { tags: ['actor', 'endpoint'], stats: SHARE_STATS, percentiles: false },
  dropped: { tags: ['actor'], stats: SHARE_STATS, percentiles: false },
  ratelimit: {
    tags: ['policy'],
    stats: {
      leak: 'fraction', overAdmitted: 'count', falseThrottled: 'count', falseThrottleRate: 'fraction',
      estimatedRate: 'perSec', estimatedBurst: 'number',
    },
    percentiles: false,
  },
  integrity: { tags: [], stats: { overcount: 'count', undercount: 'count' }, percentiles: false },
}

/** ThresholdKey is a parsed threshold key: a metric name and its tag filters. */
export interface ThresholdKey {
  name: string
  tags: Record<string, string>
}

const KEY_RE = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{([^}]*)\})?$/

/** parseThresholdKey reads `latency{actor:organic,endpoint:like}` into a metric name and tags. */
export function parseThresholdKey(text: string): Parsed<ThresholdKey> {
  const m = KEY_RE.exec(text.trim())
  if (!m) return { ok: false, message: `"${text}" is not a metric`, hint: 'write a metric name with optional tags: latency{actor:organic}' }
  const name = m[1]!
  const spec = METRICS[name]
  if (!spec) return { ok: false, message: `unknown metric "${name}"`, hint: didYouMean(name, Object.keys(METRICS)) }
  const tags: Record<string, string> = {}
  for (const part of (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [tag, value, ...rest] = part.split(':').map((s) => s.trim())
    if (!tag || !value || rest.length) return { ok: false, message: `"${part}" is not a tag filter`, hint: 'write tag:value, e.g. actor:organic' }
    if (!spec.tags.includes(tag)) {
      const hint = spec.tags.length ? didYouMean(tag, spec.tags) : `${name} takes no tags`
      return { ok: false, message: `${name} has no tag "${tag}"`, hint }
    }
    tags[tag] = value
  }
  return { ok: true, value: { name, tags } }
}

/** ThresholdExpr is a parsed `stat op value` with the value in the stat's base unit. */
export interface ThresholdExpr {
  stat: string
  op: ThresholdOp
  value: number
}

const EXPR_RE = /^\s*([A-Za-z][A-Za-z0-9.]*)\s*(<=|>=|==|!=|<|>|=)\s*(.+?)\s*$/
const PERCENTILE_RE = /^p(?:(\d{1,2}(?:\.\d+)?)|(999))$/

/** percentileOf reads a percentile stat: p50 → 50, p99.9 → 99.9, p999 → 99.9 (the Stats name); undefined for other stats. */
export function percentileOf(stat: string): number | undefined {
  const m = PERCENTILE_RE.exec(stat)
  if (!m) return undefined
  return m[2] !== undefined ? 99.9 : Number(m[1])
}

/** statUnit returns the unit of `stat` on `metric`, or undefined when the metric has no such stat. */
export function statUnit(metric: string, stat: string): StatUnit | undefined {
  const spec = METRICS[metric]
  if (!spec) return undefined
  if (spec.percentiles && PERCENTILE_RE.test(stat)) return 'time'
  return spec.stats[stat]
}

/** parseThresholdExpr reads `p99 < 250ms` for `metric`, converting the value to the stat's base unit. */
export function parseThresholdExpr(metric: string, text: string): Parsed<ThresholdExpr> {
  const m = EXPR_RE.exec(text)
  if (!m) return { ok: false, message: `"${text}" is not a threshold`, hint: 'write stat op value, e.g. p99 < 250ms or rate < 1%' }
  const [, stat, rawOp, rawValue] = m as unknown as [string, string, string, string]
  if (rawOp === '=') return { ok: false, message: `"${text}" uses =`, hint: `write == to compare: ${stat} == ${rawValue}` }
  const unit = statUnit(metric, stat)
  if (!unit) {
    const spec = METRICS[metric]!
    const choices = [...Object.keys(spec.stats), ...(spec.percentiles ? ['p50', 'p90', 'p95', 'p99', 'p999'] : [])]
    return { ok: false, message: `${metric} has no stat "${stat}"`, hint: didYouMean(stat, choices) }
  }
  const value = parseValue(unit, rawValue)
  if (!value.ok) return value
  return { ok: true, value: { stat, op: rawOp as ThresholdOp, value: value.value } }
}

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function parseValue(unit: StatUnit, text: string): Parsed<number> {
  const m = /^(-?\d+(?:\.\d+)?)\s*(%|us|ms|s|m|\/s|\/min)?$/.exec(text)
  if (!m) return { ok: false, message: `"${text}" is not a number`, hint: hintFor(unit) }
  const n = Number(m[1])
  const suffix = m[2]
  switch (unit) {
    case 'time':
      if (suffix === undefined) return { ok: true, value: n }
      if (suffix in TIME_UNITS) return { ok: true, value: n * TIME_UNITS[suffix]! }
      break
    case 'fraction':
      if (suffix === '%') return { ok: true, value: n / 100 }
      if (suffix === undefined && n >= 0 && n <= 1) return { ok: true, value: n }
      if (suffix === undefined) return { ok: false, message: `${n} is not a fraction between 0 and 1`, hint: `write ${n}% for a percentage` }
      break
    case 'perSec':
      if (suffix === undefined || suffix === '/s') return { ok: true, value: n }
      if (suffix === '/min') return { ok: true, value: n / 60 }
      break
    case 'count':
    case 'number':
      if (suffix === undefined) return { ok: true, value: n }
      break
  }
  return { ok: false, message: `"${text}" has the wrong unit`, hint: hintFor(unit) }
}

function hintFor(unit: StatUnit): string {
  switch (unit) {
    case 'time': return 'a time such as 250ms or 1.5s'
    case 'fraction': return 'a percentage such as 1% or a fraction such as 0.01'
    case 'perSec': return 'a throughput such as 100/s'
    default: return 'a plain number'
  }
}
