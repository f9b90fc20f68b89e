import type { Counts, RunResult, Stats } from '../result.js'
import { num, percent, share } from './figures.js'
import { mdCode, mdTable, mdText } from './md.js'
import { ms, table } from './table.js'

/**
 * Comparing a result with a baseline of the same scenario, metric by metric, and deciding
 * which ones regressed.
 *
 * The rule: a metric regressed when it moved in its bad direction by more than the
 * tolerance, relative to the baseline, AND by more than its absolute floor:
 *
 *   bad change = result − baseline   (latency, error rate, throttle rate, leak, integrity: up is bad)
 *              = baseline − result   (rps: down is bad)
 *   regressed  ⇔ bad change > tolerance × |baseline|  and  bad change > floor
 *
 * The floors keep noise on tiny values from counting: 1 ms for latency (0.1 ms → 0.2 ms is
 * not a regression), 0.1 percentage point for error, throttle and leak rates, 1/s for rps,
 * and 0 for integrity counts (a miscounted like is never noise: one more is a regression).
 * A metric without data on either side (no responses, a policy or actor only one run has)
 * is shown but never regresses.
 */

/** Unit is how a compared metric is measured and printed. */
export type Unit = 'ms' | 'share' | 'perSec' | 'count'

/** FLOORS are the absolute changes below which a metric never counts as regressed. */
export const FLOORS: Readonly<Record<Unit, number>> = { ms: 1, share: 0.001, perSec: 1, count: 0 }

/** MetricDiff is one compared metric of one actor, policy or the integrity read-back. */
export interface MetricDiff {
  /** The actor, `policy <name>`, `integrity` or `all`. */
  subject: string
  metric: string
  unit: Unit
  /** The direction in which a change is bad. */
  worse: 'up' | 'down'
  baseline: number | null
  result: number | null
  regressed: boolean
}

/** RunInfo identifies one side of a comparison. */
export interface RunInfo {
  runId: string
  startedAt: string
  verdict: RunResult['verdict']
  saturated: boolean
}

/** Comparison is the whole diff of two results. */
export interface Comparison {
  scenario: string
  tolerance: number
  baseline: RunInfo
  result: RunInfo
  diffs: MetricDiff[]
  regressions: MetricDiff[]
}

type Side = RunResult | undefined

function latencyOf(s: Stats | undefined, p: 'p50' | 'p95' | 'p99'): number | null {
  return s && s.count > 0 ? s[p] : null
}

interface Spec {
  subject: string
  metric: string
  unit: Unit
  worse: 'up' | 'down'
  of: (r: Side) => number | null
}

function actorMetrics(subject: string, get: (r: RunResult) => (Counts & { latency: { corrected: Stats } }) | undefined): Spec[] {
  const lat = (p: 'p50' | 'p95' | 'p99') => (r: Side) => latencyOf(r && get(r)?.latency.corrected, p)
  const rate = (pick: (c: Counts) => number) => (r: Side) => {
    const c = r && get(r)
    return c ? share(pick(c), c.requests) : null
  }
  return [
    { subject, metric: 'p50', unit: 'ms', worse: 'up', of: lat('p50') },
    { subject, metric: 'p95', unit: 'ms', worse: 'up', of: lat('p95') },
    { subject, metric: 'p99', unit: 'ms', worse: 'up', of: lat('p99') },
    { subject, metric: 'error rate', unit: 'share', worse: 'up', of: rate((c) => c.errors) },
    { subject, metric: 'throttle rate', unit: 'share', worse: 'up', of: rate((c) => c.throttled) },
    { subject, metric: 'rps', unit: 'perSec', worse: 'down', of: (r) => (r && get(r)?.rps) ?? null },
  ]
}

/** regressed applies the rule above to one metric. */
export function regressed(worse: 'up' | 'down', unit: Unit, baseline: number | null, result: number | null, tolerance: number): boolean {
  if (baseline === null || result === null) return false
  const bad = worse === 'up' ? result - baseline : baseline - result
  return bad > tolerance * Math.abs(baseline) && bad > FLOORS[unit]
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
}

function info(r: RunResult): RunInfo {
  return { runId: r.runId, startedAt: r.startedAt, verdict: r.verdict, saturated: r.generator.saturated }
}

/** compareResults diffs `result` against `baseline` (the caller checks they ran the same scenario); `tolerance` is a fraction. */
export function compareResults(baseline: RunResult, result: RunResult, tolerance: number): Comparison {
  const specs = union(baseline.actors, result.actors).flatMap((name) => actorMetrics(name, (r) => r.actors[name]))
  if (Object.keys(baseline.actors).length > 1 || Object.keys(result.actors).length > 1) specs.push(...actorMetrics('all', (r) => ({ ...r.totals, latency: r.latency })))
  for (const name of union(baseline.ratelimit, result.ratelimit)) {
    specs.push({ subject: `policy ${name}`, metric: 'leak', unit: 'share', worse: 'up', of: (r) => r?.ratelimit[name]?.leak ?? null })
  }
  if (baseline.integrity || result.integrity) {
    const count = (k: 'overcount' | 'undercount') => (r: Side) => (r?.integrity && r.integrity.posts > 0 ? r.integrity[k] : null)
    specs.push({ subject: 'integrity', metric: 'overcount', unit: 'count', worse: 'up', of: count('overcount') })
    specs.push({ subject: 'integrity', metric: 'undercount', unit: 'count', worse: 'up', of: count('undercount') })
  }
  const diffs = specs.map(({ of, ...s }) => {
    const b = of(baseline)
    const r = of(result)
    return { ...s, baseline: b, result: r, regressed: regressed(s.worse, s.unit, b, r, tolerance) }
  })
  return { scenario: result.scenario.name, tolerance, baseline: info(baseline), result: info(result), diffs, regressions: diffs.filter((d) => d.regressed) }
}

/** value renders a metric's value in its unit. */
export function value(unit: Unit, v: number | null): string {
  if (v === null) return '-'
  switch (unit) {
    case 'ms': return ms(v)
    case 'share': return percent(v)
    case 'perSec': return `${v.toFixed(1)}/s`
    case 'count': return String(v)
  }
}

/** delta renders how a metric moved: the absolute change in its unit, and the relative one where it means something. */
export function delta(d: MetricDiff): { abs: string; rel: string | null } {
  if (d.baseline === null || d.result === null) return { abs: d.baseline === d.result ? '-' : d.result === null ? 'gone' : 'new', rel: null }
  const by = d.result - d.baseline
  if (by === 0) return { abs: '=', rel: null }
  const sign = by > 0 ? '+' : '-'
  const a = Math.abs(by)
  const abs = d.unit === 'ms' ? ms(a) : d.unit === 'share' ? `${+(a * 100).toFixed(2)}pp` : d.unit === 'perSec' ? `${a.toFixed(1)}/s` : String(a)
  if (d.baseline === 0 || d.unit === 'share') return { abs: `${sign}${abs}`, rel: null }
  const r = (a / Math.abs(d.baseline)) * 100
  return { abs: `${sign}${abs}`, rel: `${sign}${r < 10 ? r.toFixed(1) : Math.round(r)}%` }
}

/** change renders a metric's move for the table: `+21.1ms (+1506%)`, `+0.5pp`, `=`. */
export function change(d: MetricDiff): string {
  const { abs, rel } = delta(d)
  return rel ? `${abs} (${rel})` : abs
}

/** headline is the one-line outcome: how many metrics regressed, or that none did. */
export function headline(c: Comparison): string {
  const tol = `${num(c.tolerance * 100)}%`
  if (!c.regressions.length) return `NO REGRESSION  ${c.diffs.length} metrics within the tolerance of ${tol} (and their floors)`
  return `REGRESSED  ${c.regressions.length} of ${c.diffs.length} metrics got worse past the tolerance of ${tol}:`
}

/** regressionLines names each regressed metric with its move: `organic p50 3.02ms → 38.2ms (+1166%)`. */
export function regressionLines(c: Comparison): string[] {
  return c.regressions.map((d) => `${d.subject} ${d.metric} ${value(d.unit, d.baseline)} → ${value(d.unit, d.result)} (${delta(d).rel ?? delta(d).abs})`)
}

function warnings(c: Comparison): string[] {
  const out: string[] = []
  for (const [side, i] of [['baseline', c.baseline], ['result', c.result]] as const) {
    if (i.saturated) out.push(`warning: the ${side}'s load generator fell behind its schedule; its figures describe the generator, not the target`)
    if (i.verdict === 'aborted') out.push(`warning: the ${side} was aborted; its figures cover only the part that ran`)
  }
  return out
}

/** renderComparison renders a comparison for a terminal: a side-by-side table, warnings and the headline. */
export function renderComparison(c: Comparison): string {
  const rows = c.diffs.map((d) => [d.subject, d.metric, value(d.unit, d.baseline), value(d.unit, d.result), change(d), d.regressed ? 'REGRESSED' : ''])
  return [
    `likebench compare · ${c.scenario} · baseline ${c.baseline.runId} (${c.baseline.startedAt}) → result ${c.result.runId} (${c.result.startedAt})`,
    '',
    table([['subject', 'metric', 'baseline', 'result', 'change', ''], ...rows]),
    'latency is corrected (from the intended send time); a metric regresses past the tolerance and its floor (docs/ci.md)',
    ...warnings(c),
    '',
    headline(c),
    ...regressionLines(c).map((l) => `  ${l}`),
    '',
  ].join('\n')
}

/** renderComparisonMarkdown renders a comparison as GitHub-flavoured Markdown. */
export function renderComparisonMarkdown(c: Comparison): string {
  const rows = c.diffs.map((d) => [mdText(d.subject), mdText(d.metric), value(d.unit, d.baseline), value(d.unit, d.result), mdText(change(d)), d.regressed ? '❌ **regressed**' : ''])
  const icon = c.regressions.length ? '❌' : '✅'
  return [
    `## ${icon} likebench compare: ${mdText(c.scenario)}`,
    [`**${mdText(headline(c))}**`, ...regressionLines(c).map((l) => `- ${mdText(l)}`)].join('\n'),
    `baseline run ${mdCode(c.baseline.runId)} (${c.baseline.startedAt}) → result run ${mdCode(c.result.runId)} (${c.result.startedAt})`,
    ...warnings(c).map((w) => `> ⚠️ ${mdText(w)}`),
    mdTable(['subject', 'metric', 'baseline', 'result', 'change', 'regressed'], rows, ['l', 'l', 'r', 'r', 'r', 'l']),
    'Latency is corrected (from the intended send time). A metric regressed when it got worse by more than the tolerance and by more than its floor: 1ms for latency, 0.1 percentage point for rates and leak, 1/s for rps, 0 for integrity counts.',
  ].join('\n\n') + '\n'
}
