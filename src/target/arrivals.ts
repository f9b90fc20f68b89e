/**
 * Debug arrivals: when a request carrying `x-likebench-run` reaches the server, its arrival
 * time is kept so the load generator can measure how tightly a race burst landed, as the
 * target saw it (abuse.md §8.4-8.5). A fixed ring keeps memory bounded.
 */

/** hrtimeMs reads process.hrtime as float milliseconds: monotonic, sub-microsecond. */
export function hrtimeMs(): number {
  const [s, ns] = process.hrtime()
  return s * 1e3 + ns / 1e6
}

/** Arrivals are the kept stamps of one run: times, and the `x-likebench-group` each request carried (null: none). */
export interface Arrivals {
  arrivals: number[]
  groups: Array<string | null>
}

/** ArrivalLog keeps the last `capacity` arrivals (run id, group and time) in a ring. */
export class ArrivalLog {
  private readonly runs: (string | undefined)[]
  private readonly groups: (string | undefined)[]
  private readonly times: Float64Array
  private next = 0

  constructor(readonly capacity = 100_000) {
    this.runs = new Array<string | undefined>(capacity)
    this.groups = new Array<string | undefined>(capacity)
    this.times = new Float64Array(capacity)
  }

  /** record stores one arrival of `run` (in `group`, if the request named one) at `timeMs`, overwriting the oldest when full. */
  record(run: string, timeMs: number, group?: string): void {
    const i = this.next % this.capacity
    this.runs[i] = run
    this.groups[i] = group
    this.times[i] = timeMs
    this.next++
  }

  /** arrivalsOf returns the kept arrivals of `run`, oldest first. */
  arrivalsOf(run: string): Arrivals {
    const out: Arrivals = { arrivals: [], groups: [] }
    const start = Math.max(0, this.next - this.capacity)
    for (let n = start; n < this.next; n++) {
      const i = n % this.capacity
      if (this.runs[i] !== run) continue
      out.arrivals.push(this.times[i]!)
      out.groups.push(this.groups[i] ?? null)
    }
    return out
  }
}
