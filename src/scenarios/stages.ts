import type { ActorOptions, Plan, Stage } from './types.js'

/**
 * Sums over a schedule's stages, for planning and reporting. The engine's arrival models
 * place each request in time; these only need the totals, which both agree on:
 * with uniform arrivals the n-th request is due where the cumulative expected count
 * Λ(t) reaches n, so a schedule sends ⌈Λ(end)⌉ requests.
 */

/** stageCount is Λ over one stage: how many requests it expects (a ramp is a trapezoid). */
export function stageCount(s: Stage): number {
  switch (s.kind) {
    case 'hold':
    case 'spike':
      return (s.rate * s.durationMs) / 1000
    case 'ramp':
      return (((s.from + s.to) / 2) * s.durationMs) / 1000
    case 'pause':
      return 0
  }
}

/** expectedArrivals is how many arrivals a uniform schedule sends: ⌈Λ(end)⌉, tolerant of float error. */
export function expectedArrivals(stages: readonly Stage[]): number {
  const total = stages.reduce((sum, s) => sum + stageCount(s), 0)
  return Math.max(0, Math.ceil(total - 1e-9))
}

/** scheduleLength is the summed duration of the stages in milliseconds. */
export function scheduleLength(stages: readonly Stage[]): number {
  return stages.reduce((sum, s) => sum + s.durationMs, 0)
}

/** peakRate is the highest rate any stage reaches, in requests per second. */
export function peakRate(stages: readonly Stage[]): number {
  let peak = 0
  for (const s of stages) {
    if (s.kind === 'hold' || s.kind === 'spike') peak = Math.max(peak, s.rate)
    else if (s.kind === 'ramp') peak = Math.max(peak, s.from, s.to)
  }
  return peak
}

/** requestsPerArrival is how many requests one arrival sends: a duplicate's copies, else one. */
export function requestsPerArrival(options: ActorOptions): number {
  return options.kind === 'duplicate' ? options.copies : 1
}

/** OpenFigures are the figures of an open-model actor that follow from its stages. */
export interface OpenFigures {
  durationMs: number
  expectedArrivals: number
  expectedRequests: number
  peakRps: number
}

/** openFigures derives an open-model actor's length, arrivals, requests and peak request rate from its stages. */
export function openFigures(stages: readonly Stage[], perArrival: number): OpenFigures {
  const arrivals = expectedArrivals(stages)
  return { durationMs: scheduleLength(stages), expectedArrivals: arrivals, expectedRequests: arrivals * perArrival, peakRps: peakRate(stages) * perArrival }
}

/** planPeakRate is the plan's peak request rate: its open-model actors' peaks added up (closed-model actors have none). */
export function planPeakRate(plan: Plan): number {
  return plan.actors.reduce((sum, a) => sum + (a.model === 'open' ? a.peakRps : 0), 0)
}
