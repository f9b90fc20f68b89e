/**
 * Arrival models: pure functions from "the n-th request" to "when it is due" (STYLE rule 2).
 *
 * An actor's stages define a rate curve λ(t) in requests per second; its integral
 * Λ(t) is the expected number of requests by time t (ms from the actor's start). Λ is
 * piecewise linear (hold, spike, pause) or quadratic (ramp), so it inverts in closed form.
 *
 *   uniform:  request n is due at Λ⁻¹(n)          (a hold of 10/s: 0, 100, …, 900 ms)
 *   poisson:  request n is due at Λ⁻¹(S_n),  S_n = E_0 + … + E_n,  E_k ~ Exp(1) from the seed
 *
 * The Poisson form is the time transform of a unit-rate Poisson process, which is exactly
 * an inhomogeneous Poisson process with rate λ(t): no thinning, no rejected draws, and the
 * k-th gap depends only on (seed, stream, k).
 *
 * Λ⁻¹(x) is taken as inf{ t : Λ(t) > x }, so where Λ is flat (a pause, a zero-rate hold)
 * the next request waits for the rate to come back instead of being due at the start of
 * the pause. Stage boundaries are compared with a relative tolerance, because cumulative
 * counts built from float rates land a hair above or below the integer they mean
 * (1.1 + 1.3 + 0.6 = 3.0000000000000004).
 */
import type { ActorPlan, Arrivals, Stage } from '../scenarios/types.js'
import { hashString, randomAt, streamKey } from '../rng.js'

/** ArrivalModel is an actor's rate curve: expected counts, their inverse and per-time lookups, all pure. */
export interface ArrivalModel {
  /** Length of the schedule in ms. */
  readonly durationMs: number
  /** Λ(end): the expected number of requests over the whole schedule. */
  readonly expectedCount: number
  /** The highest rate any stage reaches, in requests per second. */
  readonly peakRate: number
  /** expected returns Λ(t), the expected number of requests due before t ms. */
  expected(t: number): number
  /** inverse returns Λ⁻¹(x) = inf{ t : Λ(t) > x } in ms, or undefined when the schedule never gets there. */
  inverse(x: number): number | undefined
  /** rateAt returns the instantaneous rate at t ms, in requests per second (0 outside the schedule). */
  rateAt(t: number): number
  /** stageAt returns the index (into the stages given) of the stage running at t ms, or undefined outside. */
  stageAt(t: number): number | undefined
}

/** ArrivalCursor walks a schedule in order for sequential dispatch. */
export interface ArrivalCursor {
  /** next returns the due time (ms from the schedule's start) of the next arrival, or undefined when done. */
  next(): number | undefined
  /** index is the sequence number n of the arrival last returned by next(), -1 before the first. */
  readonly index: number
}

/** Schedule is an arrival process over a model: how many requests to expect and a cursor to walk them. */
export interface Schedule {
  readonly arrivals: Arrivals
  /** Exact count for uniform arrivals; the mean (Λ(end)) for Poisson. */
  readonly expectedCount: number
  /** cursor starts a fresh walk (workers split a schedule by identity instead: split.ts). */
  cursor(): ArrivalCursor
}

/** UniformSchedule is a Schedule with evenly spaced arrivals, addressable by n. */
export interface UniformSchedule extends Schedule {
  readonly arrivals: 'uniform'
  /** count is the number of arrivals: the n with Λ⁻¹(n) inside the schedule, i.e. ⌈Λ(end)⌉. */
  readonly count: number
  /** dueMs returns when arrival n is due (Λ⁻¹(n)), or undefined when n ≥ count. */
  dueMs(n: number): number | undefined
}

/** A stage placed on the timeline. Rates in req/s, times in ms, counts cumulative from the schedule's start. */
interface Segment {
  readonly stage: number
  readonly start: number
  readonly end: number
  readonly c0: number
  readonly c1: number
  readonly r0: number
  /** Rate change over the whole stage (0 for holds); the slope is dr / duration. */
  readonly dr: number
}

/** tolerance is the slack used when comparing a count with a stage boundary. */
function tolerance(x: number): number {
  return 1e-9 * (x > 1 ? x : 1)
}

/** endpoints returns a stage's rate at its start and end, checking it is a sane stage. */
function endpoints(s: Stage, i: number): [number, number] {
  const rates: [number, number] =
    s.kind === 'pause' ? [0, 0] : s.kind === 'ramp' ? [s.from, s.to] : [s.rate, s.rate]
  const ok = Number.isFinite(s.durationMs) && s.durationMs >= 0 && rates.every((r) => Number.isFinite(r) && r >= 0)
  if (!ok) throw new RangeError(`stage ${i} (${s.kind}) needs a finite duration and rates ≥ 0`)
  return rates
}

/** layout places stages end to end and integrates their rates; zero-length stages are skipped. */
function layout(stages: readonly Stage[]): Segment[] {
  const segs: Segment[] = []
  let t = 0
  let c = 0
  stages.forEach((s, i) => {
    const [r0, r1] = endpoints(s, i)
    if (s.durationMs === 0) return
    // Trapezoid: exact for holds and ramps alike, and exact in floats for integer rates and ms.
    const mass = ((r0 + r1) * s.durationMs) / 2000
    segs.push({ stage: i, start: t, end: t + s.durationMs, c0: c, c1: c + mass, r0, dr: r1 - r0 })
    t += s.durationMs
    c += mass
  })
  return segs
}

/** massAt integrates a segment's rate from its start to t (in requests). */
function massAt(g: Segment, t: number): number {
  const tau = t - g.start
  const d = g.end - g.start
  return (g.r0 * tau + (g.dr * tau * tau) / (2 * d)) / 1000
}

/**
 * timeOf solves massAt(g, t) = m for t inside the segment. The ramp root is written as
 * 2m / (r0 + √(r0² + 2am)), which stays exact for ramps from 0 and stable for ramps down.
 */
function timeOf(g: Segment, m: number): number {
  if (m <= 0) return g.start
  const d = g.end - g.start
  let tau: number
  if (g.dr === 0) tau = (m * 1000) / g.r0
  else tau = (2000 * m) / (g.r0 + Math.sqrt(Math.max(0, g.r0 * g.r0 + (2000 * m * g.dr) / d)))
  const t = g.start + tau
  return t < g.end ? t : g.end
}

/** Segments is the compiled model; cursors reach into it for the hinted, allocation-free lookups. */
class Segments implements ArrivalModel {
  readonly durationMs: number
  readonly expectedCount: number
  readonly peakRate: number
  readonly segs: readonly Segment[]

  constructor(stages: readonly Stage[]) {
    this.segs = layout(stages)
    const last = this.segs[this.segs.length - 1]
    this.durationMs = last ? last.end : 0
    this.expectedCount = last ? last.c1 : 0
    this.peakRate = this.segs.reduce((p, g) => Math.max(p, g.r0, g.r0 + g.dr), 0)
  }

  /** segFrom returns the first segment at or after `hint` whose count passes x, or -1 past the end. */
  segFrom(x: number, hint: number): number {
    const lim = x + tolerance(x)
    for (let i = hint; i < this.segs.length; i++) if (this.segs[i]!.c1 > lim) return i
    return -1
  }

  /** segAt binary-searches the segment whose time span holds t, or -1 outside. */
  segAt(t: number): number {
    let lo = 0
    let hi = this.segs.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      const g = this.segs[mid]!
      if (t < g.start) hi = mid - 1
      else if (t >= g.end) lo = mid + 1
      else return mid
    }
    return -1
  }

  /** timeIn returns Λ⁻¹(x) given the segment that segFrom found for x. */
  timeIn(i: number, x: number): number {
    const g = this.segs[i]!
    return timeOf(g, x - g.c0)
  }

  expected(t: number): number {
    if (t <= 0) return 0
    if (t >= this.durationMs) return this.expectedCount
    const g = this.segs[this.segAt(t)]!
    return g.c0 + massAt(g, t)
  }

  inverse(x: number): number | undefined {
    const i = this.segFrom(x < 0 ? 0 : x, 0)
    return i < 0 ? undefined : this.timeIn(i, x)
  }

  rateAt(t: number): number {
    const g = this.segs[this.segAt(t)]
    return g ? g.r0 + (g.dr * (t - g.start)) / (g.end - g.start) : 0
  }

  stageAt(t: number): number | undefined {
    return this.segs[this.segAt(t)]?.stage
  }
}

/** arrivalModel compiles an actor's stages (rates in req/s, durations in ms) into a pure ArrivalModel. */
export function arrivalModel(stages: readonly Stage[]): ArrivalModel {
  return new Segments(stages)
}

/** asSegments recovers the compiled form; every ArrivalModel comes from arrivalModel(). */
function asSegments(model: ArrivalModel): Segments {
  if (!(model instanceof Segments)) throw new TypeError('ArrivalModel must come from arrivalModel()')
  return model
}

/** UniformCursor walks n = 0, 1, 2, … and keeps a segment hint, so each step is O(1) amortised. */
class UniformCursor implements ArrivalCursor {
  index = -1
  private n = 0
  private seg = 0

  constructor(
    private readonly m: Segments,
    private readonly count: number,
  ) {}

  next(): number | undefined {
    const n = this.n
    if (n >= this.count) return undefined
    const i = this.m.segFrom(n, this.seg)
    if (i < 0) return undefined
    this.seg = i
    this.n = n + 1
    this.index = n
    return this.m.timeIn(i, n)
  }
}

/** uniformCount is the number of integers n ≥ 0 that segFrom places inside the schedule. */
function uniformCount(total: number): number {
  let c = Math.max(0, Math.ceil(total - tolerance(total)))
  while (c > 0 && c - 1 + tolerance(c - 1) >= total) c--
  while (c + tolerance(c) < total) c++
  return c
}

/** uniformSchedule spaces arrivals evenly along the model: arrival n is due at Λ⁻¹(n). */
export function uniformSchedule(model: ArrivalModel): UniformSchedule {
  const m = asSegments(model)
  const count = uniformCount(m.expectedCount)
  return {
    arrivals: 'uniform',
    count,
    expectedCount: count,
    dueMs: (n) => (n >= 0 && n < count ? m.inverse(n) : undefined),
    cursor: () => new UniformCursor(m, count),
  }
}

/** PoissonCursor sums Exp(1) gaps drawn from counter k and maps the sum through Λ⁻¹. */
class PoissonCursor implements ArrivalCursor {
  index = -1
  private k = 0
  private sum = 0
  private seg = 0

  constructor(
    private readonly m: Segments,
    private readonly key: number,
  ) {}

  next(): number | undefined {
    const total = this.m.expectedCount
    while (this.sum < total) {
      const k = this.k
      // 1 − u lies in (0, 1], so the gap is finite; gap k belongs to arrival k alone.
      this.sum -= Math.log(1 - randomAt(this.key, k))
      if (this.sum >= total) break
      const i = this.m.segFrom(this.sum, this.seg)
      if (i < 0) return undefined
      this.seg = i
      this.k = k + 1
      this.index = k
      return this.m.timeIn(i, this.sum)
    }
    return undefined
  }
}

/** poissonSchedule draws exponential gaps from (seed, stream): same seed and stream, same schedule. */
export function poissonSchedule(model: ArrivalModel, seed: number, stream: number): Schedule {
  const m = asSegments(model)
  const key = streamKey(seed, stream)
  return {
    arrivals: 'poisson',
    expectedCount: m.expectedCount,
    cursor: () => new PoissonCursor(m, key),
  }
}

/** schedule builds the arrival process an actor asked for. */
export function schedule(model: ArrivalModel, arrivals: Arrivals, seed: number, stream: number): Schedule {
  return arrivals === 'poisson' ? poissonSchedule(model, seed, stream) : uniformSchedule(model)
}

/**
 * actorSchedule is the schedule an open-model actor is dispatched on: its stages, its arrival
 * process, the plan's seed and a stream named after the actor. Everything that must see the
 * same arrivals as the dispatcher (the integrity check's walk of touched posts) builds it here.
 */
export function actorSchedule(seed: number, a: ActorPlan): Schedule {
  return schedule(arrivalModel(a.stages), a.arrivals, seed, hashString(a.name))
}
