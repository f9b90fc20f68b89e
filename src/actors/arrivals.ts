import { request } from 'undici'
import type { Plan } from '../scenarios/types.js'
import { hrtimeMs } from '../target/arrivals.js'
import type { AfterRun, TargetArrivals } from './types.js'

/**
 * How tightly a burst of copies landed, as the target saw it (abuse.md §8.5). The built-in
 * target, started with debugArrivals, stamps every request carrying the run's
 * `x-likebench-run` when its headers are complete, and serves the stamps of a run at
 * `GET /debug/arrivals?run=<id>`, each with the `x-likebench-group` its request carried.
 *
 * A group's spread is max − min of its copies' stamps, found by the group id. When the target
 * reports no ids, its arrivals are found by time instead: each copy reached the target after
 * the group's first send (for a race: the first final byte) and before the group's last
 * response was read, so when exactly `copies` stamps fall in that window they are the
 * group's. Either way, a group whose stamps are not all there (or, by time, not alone) is
 * counted as unmeasured rather than guessed.
 * Both processes read the same monotonic clock (CLOCK_MONOTONIC via process.hrtime), so the
 * target's stamps convert to performance.now() by one offset taken here.
 */

/** wantsArrivals says whether a plan has actors that report arrival spreads (duplicates sent as a burst or a race). */
export function wantsArrivals(plan: Plan): boolean {
  return plan.actors.some((a) => a.options.kind === 'duplicate' && a.options.mode !== 'sequential')
}

/** targetArrivals returns the AfterRun of a run: the target's arrival stamps, fetched once, or null when not `recorded`. */
export function targetArrivals(url: string, runId: string, recorded: boolean): AfterRun {
  let fetched: Promise<TargetArrivals | null> | undefined
  return { arrivals: () => (fetched ??= recorded ? fetchArrivals(url, runId) : Promise.resolve(null)) }
}

async function fetchArrivals(url: string, runId: string): Promise<TargetArrivals | null> {
  try {
    const res = await request(`${url}/debug/arrivals?run=${encodeURIComponent(runId)}`, { signal: AbortSignal.timeout(5000) })
    if (res.statusCode !== 200) {
      await res.body.dump()
      return null
    }
    const body = (await res.body.json()) as { arrivals?: unknown; groups?: unknown }
    if (!Array.isArray(body.arrivals)) return null
    const offset = hrtimeMs() - performance.now()
    const times = Float64Array.from(body.arrivals as number[], (t) => t - offset)
    const groups = new Map<string, { count: number; first: number; last: number }>()
    const ids = Array.isArray(body.groups) ? (body.groups as unknown[]) : []
    times.forEach((t, i) => {
      const id = ids[i]
      if (typeof id !== 'string') return
      const g = groups.get(id)
      if (!g) groups.set(id, { count: 1, first: t, last: t })
      else [g.count, g.first, g.last] = [g.count + 1, Math.min(g.first, t), Math.max(g.last, t)]
    })
    return { times: times.sort(), groups }
  } catch {
    return null // evidence, not a requirement: a run never fails for want of it
  }
}

/** SpreadStats summarises the arrival spreads of a set of groups, in milliseconds. */
export interface SpreadStats {
  groups: number
  /** Groups whose arrivals could be told apart from other traffic. */
  measured: number
  medianMs: number | null
  p90Ms: number | null
  maxMs: number | null
}

/** SLACK_MS absorbs the error of converting the target's clock to ours (two clock reads). */
const SLACK_MS = 0.05

/** GroupWindows keeps, for up to `capacity` groups, the time window its copies reached the target in. */
export class GroupWindows {
  private readonly starts: Float64Array
  private readonly ends: Float64Array
  private readonly sizes: Int32Array
  private readonly ids: string[] = []
  /** Groups added, including those past the capacity. */
  groups = 0

  constructor(readonly capacity: number) {
    this.starts = new Float64Array(capacity)
    this.ends = new Float64Array(capacity)
    this.sizes = new Int32Array(capacity)
  }

  /** add records one group `id` of `size` requests first sent at `start` and last answered at `end`. */
  add(id: string, start: number, end: number, size: number): void {
    const g = this.groups++
    if (g >= this.capacity) return
    this.ids[g] = id
    this.starts[g] = start
    this.ends[g] = end
    this.sizes[g] = size
  }

  /** spreads returns the arrival spread (max − min) of every group told apart in `arrivals`: by id, else by time. */
  spreads(arrivals: TargetArrivals): number[] {
    const out: number[] = []
    const n = Math.min(this.groups, this.capacity)
    const byId = arrivals.groups.size > 0
    for (let g = 0; g < n; g++) {
      if (byId) {
        const s = arrivals.groups.get(this.ids[g]!)
        if (s && s.count === this.sizes[g]) out.push(s.last - s.first)
        continue
      }
      const lo = lowerBound(arrivals.times, this.starts[g]! - SLACK_MS)
      const hi = lowerBound(arrivals.times, this.ends[g]! + SLACK_MS)
      if (hi - lo === this.sizes[g]) out.push(arrivals.times[hi - 1]! - arrivals.times[lo]!)
    }
    return out
  }
}

/** spreadStats summarises the spreads measured of `groups` groups. */
export function spreadStats(groups: number, spreads: number[]): SpreadStats {
  return { groups, measured: spreads.length, ...quantiles(spreads) }
}

/** quantiles returns the median, p90 and max of `values` (nearest rank, rounded to µs), or nulls when empty. */
export function quantiles(values: number[]): { medianMs: number | null; p90Ms: number | null; maxMs: number | null } {
  if (values.length === 0) return { medianMs: null, p90Ms: null, maxMs: null }
  const v = Float64Array.from(values).sort()
  const at = (q: number) => round3(v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!)
  return { medianMs: at(0.5), p90Ms: at(0.9), maxMs: round3(v[v.length - 1]!) }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

/** lowerBound returns the first index of sorted `a` whose value is ≥ x. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}
