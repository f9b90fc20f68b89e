/**
 * The dispatcher: the one place that sleeps (STYLE rules 2 and 3).
 *
 * Open model (runOpen): every arrival is sent at its due time whether or not earlier
 * requests have answered. When `maxInFlight` requests are already out, the arrival is
 * counted as *dropped* and skipped: it is never queued and never delayed, because a
 * delayed send would silently lower the offered rate and hide the target's slowness.
 *
 * Timing: one timer per request fires late, so the dispatcher batches. It wakes once,
 * sends everything whose due time has passed (checking each against a fresh now(), so
 * nothing is ever sent early), then sleeps until the next due time on the Clock, which
 * handles sub-millisecond waits by polling. Each send is handed its *intended* time (the
 * schedule's, on the clock's timebase); latency measured from it is corrected for
 * coordinated omission, and `actual − intended` is the send lag.
 *
 * Closed model (runClosed): `concurrency` virtual users, each sending its next request
 * when its last one answered, until the end time. Its intended time is the send time:
 * a closed model has no schedule to fall behind, which is why it is labelled as such.
 */
import type { ArrivalCursor } from './arrival.js'
import type { Clock } from './clock.js'

/** Done is called exactly once when a fired request has finished, however it finished. */
export type Done = () => void

/**
 * Fire sends request n; `intendedMs` is its scheduled time on the clock's timebase.
 * It must not throw (failures are data) and must call `done` exactly once. The same
 * `done` function is passed to every call, so firing allocates nothing per request.
 */
export type Fire = (n: number, intendedMs: number, done: Done) => void

/** InFlight counts requests in flight against a cap and lets a caller wait for them to drain. */
export class InFlight {
  count = 0
  private waiters: Array<() => void> = []

  constructor(readonly cap: number) {}

  /** release marks one request finished; it is a bound function, safe to hand out as `done`. */
  readonly release: Done = () => {
    this.count--
    if (this.count === 0 && this.waiters.length > 0) this.wakeWaiters()
  }

  /** idle resolves once nothing is in flight (race it with a timeout to bound a drain). */
  idle(): Promise<void> {
    if (this.count <= 0) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  private wakeWaiters(): void {
    const ws = this.waiters
    this.waiters = []
    for (const w of ws) w()
  }
}

/** DispatchResult says what a dispatcher did once it stops sending; in-flight requests may still be out. */
export interface DispatchResult {
  /** Requests handed to fire(). */
  sent: number
  /** Arrivals skipped because the in-flight cap was reached (always 0 for a closed model). */
  dropped: number
  /** True when the signal stopped the run before its schedule ended. */
  aborted: boolean
  /** The requests still out; `await inFlight.idle()` (bounded) before closing the transport. */
  inFlight: InFlight
}

/** OpenOptions configures an open-model dispatch of one actor's schedule. */
export interface OpenOptions {
  cursor: ArrivalCursor
  clock: Clock
  /** Clock time of the schedule's t = 0 (the run's start plus the actor's offset). */
  startMs: number
  fire: Fire
  maxInFlight: number
  signal: AbortSignal
  /** Called for each dropped arrival, with the time it was due. */
  onDrop?: (n: number, intendedMs: number) => void
  /** Sends per event-loop turn before yielding to I/O when far behind (default 1024). */
  maxBatch?: number
  /** When set, only the arrivals it accepts are sent (a worker's share, engine/split.ts); the others are skipped, not dropped. */
  owns?: (n: number) => boolean
}

/** runOpen sends each arrival of the cursor at its due time; it resolves when the schedule ends or the signal aborts. */
export async function runOpen(o: OpenOptions): Promise<DispatchResult> {
  const gate = new InFlight(o.maxInFlight)
  const batch = new OpenBatch(o, gate)
  let due = o.cursor.next()
  while (due !== undefined && !o.signal.aborted) {
    const at = o.startMs + due
    if (at > o.clock.now()) {
      await o.clock.sleepUntil(at, o.signal)
      continue
    }
    due = batch.fireDue(at)
    // A full batch means we are behind: yield one turn so responses and timers run.
    if (batch.full) await o.clock.sleepUntil(o.clock.now(), o.signal)
  }
  return { sent: batch.sent, dropped: batch.dropped, aborted: o.signal.aborted, inFlight: gate }
}

/** OpenBatch fires the arrivals that are due at one wake-up. */
class OpenBatch {
  sent = 0
  dropped = 0
  full = false
  private readonly maxBatch: number

  constructor(
    private readonly o: OpenOptions,
    private readonly gate: InFlight,
  ) {
    this.maxBatch = o.maxBatch ?? 1024
  }

  /** fireDue sends the arrival due at `at` and every following one already due; it returns the first not sent. */
  fireDue(at: number): number | undefined {
    const { cursor, clock, startMs, signal } = this.o
    let fired = 0
    let due: number | undefined
    for (;;) {
      this.one(cursor.index, at)
      due = cursor.next()
      if (due === undefined || ++fired >= this.maxBatch || signal.aborted) break
      at = startMs + due
      if (at > clock.now()) break
    }
    this.full = fired >= this.maxBatch
    return due
  }

  private one(n: number, at: number): void {
    if (this.o.owns !== undefined && !this.o.owns(n)) return
    const gate = this.gate
    if (gate.count >= gate.cap) {
      this.dropped++
      this.o.onDrop?.(n, at)
      return
    }
    gate.count++
    this.sent++
    this.o.fire(n, at, gate.release)
  }
}

/** ClosedOptions configures a closed-model run: N virtual users for a fixed time. */
export interface ClosedOptions {
  concurrency: number
  durationMs: number
  fire: Fire
  signal: AbortSignal
  clock: Clock
  /** Clock time to start at (default: now). */
  startMs?: number
  /** The arrival index of each next request (a worker's share, engine/split.ts nextOwned); −1 ends that virtual user. Default: 0, 1, 2, … */
  nextIndex?: () => number
}

/** runClosed keeps `concurrency` requests in flight until durationMs has passed or the signal aborts. */
export async function runClosed(o: ClosedOptions): Promise<DispatchResult> {
  const start = o.startMs ?? o.clock.now()
  await o.clock.sleepUntil(start, o.signal)
  const loop = new ClosedLoop(o, start + o.durationMs)
  loop.pump()
  await o.clock.sleepUntil(start + o.durationMs, o.signal)
  loop.stopped = true
  return { sent: loop.sent, dropped: 0, aborted: o.signal.aborted, inFlight: loop.gate }
}

/** ClosedLoop refills the in-flight set whenever a virtual user's request finishes. */
class ClosedLoop {
  readonly gate: InFlight
  sent = 0
  stopped = false
  private pumping = false
  private deferred = false

  constructor(
    private readonly o: ClosedOptions,
    private readonly end: number,
  ) {
    this.gate = new InFlight(o.concurrency)
  }

  /** done is every request's completion: release the slot, then refill (unless already refilling). */
  private readonly done: Done = () => {
    this.gate.release()
    if (!this.pumping) this.pump()
  }

  private readonly resume = (): void => {
    this.deferred = false
    this.pump()
  }

  /**
   * pump sends until every virtual user is busy. Requests that finish synchronously re-enter
   * through done() while pumping is set, so this loop refills for them instead of recursing;
   * after `concurrency` sends in one go it defers to the next turn so it cannot spin forever.
   */
  pump(): void {
    const { clock, fire, signal, concurrency } = this.o
    const gate = this.gate
    this.pumping = true
    for (let burst = 0; gate.count < concurrency; burst++) {
      if (this.stopped || signal.aborted) break
      const now = clock.now()
      if (now >= this.end) break
      if (burst >= concurrency) {
        if (!this.deferred) setImmediate(this.resume)
        this.deferred = true
        break
      }
      const n = this.o.nextIndex === undefined ? this.sent : this.o.nextIndex()
      if (n < 0) {
        this.stopped = true
        break
      }
      gate.count++
      this.sent++
      fire(n, now, this.done)
    }
    this.pumping = false
  }
}
