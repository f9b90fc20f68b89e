/**
 * Estimating the limit a target really enforces, from the outside (abuse.md §7.3).
 *
 * Under sustained overload a rate limiter lets requests through at its refill rate r, and
 * every token it ever had is used as soon as it appears, so a key's cumulative admissions
 * follow the line
 *
 *     admitted(t) ≈ B + r · (t − t₀)        t₀ = the key's first request
 *
 * once the key is being throttled. The slope is the sustained rate; the line's value at t₀
 * is the burst B: what the bucket held when the key first knocked. (Counting the admissions
 * before the first 429 overstates B by whatever refilled while the burst was drained.)
 *
 * Each key feeds the points (t − t₀, admissions so far) of its throttled phase into a Fit:
 * running means and co-moments (Welford), five numbers, whatever the number of points.
 * Fits of several keys pool exactly (Chan et al.'s parallel update), which is the least-squares
 * line through all their points on each key's own time axis, so keys that start late count
 * the same as keys that start early.
 */

/** Fit holds the running sums of an online least-squares line y = a + b·x. */
export interface Fit {
  n: number
  meanX: number
  meanY: number
  /** Σ (x − x̄)² */
  m2x: number
  /** Σ (x − x̄)(y − ȳ) */
  cxy: number
}

/** emptyFit returns a fit with no points. */
export function emptyFit(): Fit {
  return { n: 0, meanX: 0, meanY: 0, m2x: 0, cxy: 0 }
}

/** addPoint adds (x, y) to `f` in O(1). */
export function addPoint(f: Fit, x: number, y: number): void {
  f.n++
  const dx = x - f.meanX
  f.meanX += dx / f.n
  f.meanY += (y - f.meanY) / f.n
  f.m2x += dx * (x - f.meanX)
  f.cxy += dx * (y - f.meanY)
}

/** mergeFit adds the points of `b` into `a`, as if they had been added one by one. */
export function mergeFit(a: Fit, b: Fit): void {
  if (b.n === 0) return
  if (a.n === 0) {
    Object.assign(a, b)
    return
  }
  const n = a.n + b.n
  const dx = b.meanX - a.meanX
  const dy = b.meanY - a.meanY
  const w = (a.n * b.n) / n
  a.m2x += b.m2x + dx * dx * w
  a.cxy += b.cxy + dx * dy * w
  a.meanX += (dx * b.n) / n
  a.meanY += (dy * b.n) / n
  a.n = n
}

/** Line is a fitted line: `slope` per unit of x and the value at x = 0. */
export interface Line {
  slope: number
  intercept: number
}

/** line returns the least-squares line of `f`, or null with fewer than two distinct x. */
export function line(f: Fit): Line | null {
  if (f.n < 2 || !(f.m2x > 1e-12)) return null
  const slope = f.cxy / f.m2x
  return { slope, intercept: f.meanY - slope * f.meanX }
}

/** Estimate is the limit read from the outside: requests per second, the burst, and how much evidence there was. */
export interface Estimate {
  ratePerSec: number | null
  burst: number | null
  /** Keys that contributed points (keys that were throttled and admitted something afterwards). */
  keys: number
  /** Points (admissions in a throttled phase) the line was fitted to. */
  samples: number
}

/** estimate pools per-key fits (x in ms) into one line and reads rate and burst off it. */
export function estimate(fits: Iterable<Fit>): Estimate {
  const pooled = emptyFit()
  let keys = 0
  for (const f of fits) {
    if (f.n === 0) continue
    keys++
    mergeFit(pooled, f)
  }
  const l = line(pooled)
  if (l === null) return { ratePerSec: null, burst: null, keys, samples: pooled.n }
  return { ratePerSec: round(l.slope * 1000, 4), burst: round(l.intercept, 3), keys, samples: pooled.n }
}

function round(v: number, digits: number): number {
  const k = 10 ** digits
  return Math.round(v * k) / k
}
