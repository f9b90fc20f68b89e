import { LikebenchError } from '../errors.js'
import { openFigures, requestsPerArrival } from './stages.js'
import type { ActorPlan, Plan, Stage } from './types.js'

/**
 * Command-line overrides of a compiled plan: where to send, which seed, and scaling the
 * whole schedule in time (`--duration`) or in rate (`--rate-scale`). Scaling keeps the
 * schedule's shape: every stage and every start offset stretches by the same factor.
 */

/** Overrides are the run options that change the plan itself. */
export interface Overrides {
  target?: string
  seed?: number
  durationMs?: number
  rateScale?: number
  builtinFlaws?: string[]
  builtinRateLimits?: string[]
  builtinLatency?: string
}

/** applyOverrides returns the plan with the command line's overrides applied (the input is not changed). */
export function applyOverrides(plan: Plan, o: Overrides): Plan {
  let p: Plan = structuredClone(plan)
  if (o.target !== undefined) p.target.url = normalizeTarget(o.target)
  if (o.seed !== undefined) p.seed = o.seed
  if (o.builtinFlaws?.length) p.target.builtin.flaws = [...p.target.builtin.flaws, ...o.builtinFlaws]
  if (o.builtinRateLimits?.length) p.target.builtin.rateLimits = [...p.target.builtin.rateLimits, ...o.builtinRateLimits]
  if (o.builtinLatency !== undefined) p.target.builtin.latency = o.builtinLatency
  const builtinFlags = (o.builtinFlaws?.length ?? 0) + (o.builtinRateLimits?.length ?? 0) + (o.builtinLatency ? 1 : 0)
  if (builtinFlags && p.target.url !== 'builtin') {
    throw new LikebenchError('LB_USAGE', '--builtin-* options only apply to the built-in target', { hint: 'add --target builtin, or drop them' })
  }
  if (o.durationMs !== undefined) p = rescale(p, o.durationMs / p.durationMs, 1)
  if (o.rateScale !== undefined) p = rescale(p, 1, o.rateScale)
  return p
}

function normalizeTarget(t: string): string {
  if (t === 'builtin') return t
  let url: URL
  try {
    url = new URL(t)
  } catch {
    throw new LikebenchError('LB_USAGE', `--target ${t} is not a URL`, { hint: 'write builtin, or a URL such as http://127.0.0.1:8080' })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LikebenchError('LB_USAGE', `--target ${t}: only http and https are supported`)
  // Whether a non-loopback host may be used is the safety rails' call, at run time.
  return url.href.replace(/\/$/, '')
}

function scaleStage(s: Stage, time: number, rate: number): Stage {
  switch (s.kind) {
    case 'hold':
    case 'spike':
      return { ...s, rate: s.rate * rate, durationMs: s.durationMs * time }
    case 'ramp':
      return { ...s, from: s.from * rate, to: s.to * rate, durationMs: s.durationMs * time }
    case 'pause':
      return { ...s, durationMs: s.durationMs * time }
  }
}

function rescale(plan: Plan, time: number, rate: number): Plan {
  const actors = plan.actors.map((a): ActorPlan => {
    if (a.model === 'closed') return { ...a, startMs: a.startMs * time, durationMs: a.durationMs * time }
    const stages = a.stages.map((s) => scaleStage(s, time, rate))
    return { ...a, stages, startMs: a.startMs * time, ...openFigures(stages, requestsPerArrival(a.options)) }
  })
  return { ...plan, actors, durationMs: Math.max(0, ...actors.map((a) => a.startMs + a.durationMs)) }
}
