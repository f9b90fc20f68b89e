import type { RecorderSummary } from '../metrics/recorder.js'
import {
  RESULT_SCHEMA_VERSION, type ActorResult, type Finding, type GeneratorHealth, type IntegrityResult, type RateLimitResult, type RunResult, type ThresholdResult,
} from '../result.js'
import type { Plan } from '../scenarios/types.js'
import { VERSION } from '../version.js'

/**
 * Assembling the result document from what the run measured. The verdict is decided here,
 * once, and every reporter renders it: aborted beats failed beats passed.
 */

/** ResultInput is everything a finished run hands over. */
export interface ResultInput {
  plan: Plan
  target: { url: string; builtin: boolean }
  runId: string
  startedAt: Date
  durationMs: number
  summary: RecorderSummary
  findings: Finding[]
  generator: GeneratorHealth
  aborted: boolean
  thresholds?: ThresholdResult[]
  /** The rate-limit oracle's results by policy name. */
  ratelimit?: Record<string, RateLimitResult>
  /** The integrity read-back, or null (the default) when it was off. */
  integrity?: IntegrityResult | null
  /** Why the run was aborted, when it was (default: interrupted). */
  abortReason?: string
}

/** buildResult assembles the result document (DESIGN.md section 5) and decides the verdict. */
export function buildResult(r: ResultInput): RunResult {
  const { totals, latency, actors } = resultFigures(r.plan, r.summary, r.durationMs)
  const thresholds = r.thresholds ?? []
  const { verdict, reason } = decide(r, thresholds)
  return {
    likebench: VERSION,
    schema: RESULT_SCHEMA_VERSION,
    scenario: { name: r.plan.name, file: r.plan.file, seed: r.plan.seed },
    target: { url: r.target.url, builtin: r.target.builtin },
    runId: r.runId,
    startedAt: r.startedAt.toISOString(),
    durationMs: Math.round(r.durationMs * 1000) / 1000,
    verdict,
    reason,
    totals,
    latency,
    actors,
    ratelimit: r.ratelimit ?? {},
    integrity: r.integrity ?? null,
    findings: r.findings,
    thresholds,
    timeline: r.summary.timeline,
    generator: r.generator,
  }
}

/** resultFigures computes the counters, rates and latency of a result from a recorder summary (also for live threshold checks). */
export function resultFigures(plan: Plan, summary: RecorderSummary, durationMs: number): Pick<RunResult, 'totals' | 'latency' | 'actors'> {
  const rate = (n: number, s: number) => (s > 0 ? Math.round((n / s) * 100) / 100 : 0)
  const actors: Record<string, ActorResult> = {}
  for (const a of plan.actors) {
    const m = summary.actors[a.name]!
    const active = Math.min(a.durationMs, Math.max(0, durationMs - a.startMs)) / 1000
    const endpoints: ActorResult['endpoints'] = {}
    for (const [ep, e] of Object.entries(m.endpoints)) endpoints[ep] = { ...e, rps: rate(e.requests, active) }
    actors[a.name] = { ...m, kind: a.kind, model: a.model, planned: a.model === 'open' ? a.expectedArrivals : null, rps: rate(m.requests, active), endpoints }
  }
  return { totals: { ...summary.totals, rps: rate(summary.totals.requests, durationMs / 1000) }, latency: summary.latency, actors }
}

function decide(r: ResultInput, thresholds: ThresholdResult[]): { verdict: RunResult['verdict']; reason: string } {
  if (r.aborted) return { verdict: 'aborted', reason: r.abortReason ?? 'interrupted before the schedule ended' }
  const broken = r.findings.filter((f) => !f.ok)
  const failed = thresholds.filter((t) => !t.ok)
  if (broken.length === 0 && failed.length === 0) {
    const checks = r.findings.length + thresholds.length
    return { verdict: 'passed', reason: checks ? `every defense held and every threshold passed (${checks} check${checks === 1 ? "" : "s"})` : 'the run completed (no thresholds or defense checks)' }
  }
  const why = [
    ...failed.map((t) => `threshold ${t.metric}: ${t.expr} (was ${t.value ?? 'n/a'})`),
    ...broken.map((f) => `${f.actor}: ${f.message}`),
  ]
  return { verdict: 'failed', reason: why.join('; ') }
}
