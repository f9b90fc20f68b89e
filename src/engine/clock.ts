/**
 * Clocks. Every engine time is a millisecond float on one monotonic timebase
 * (performance.now()), so intended, sent and ended times subtract cleanly. The clock is
 * injected: the dispatcher is the only code that sleeps, and its tests run in fake time.
 *
 * Why the real clock polls at the end: a setTimeout fires late (p50 ≈ 0.55 ms, p99 ≈ 1.5 ms
 * on the reference machine, research/baselines.md), and it can also fire a little *early*
 * against performance.now(), because libuv computes deadlines from a cached, millisecond
 * loop time. So the real clock sleeps on a timer until `spinMs` before the deadline, then
 * polls performance.now() once per event-loop turn (setImmediate, so I/O keeps flowing)
 * until the deadline has truly passed.
 *
 * Why the polling has a budget: an idle event-loop turn costs a few µs, so polling every
 * gap of a 2,000/s schedule would burn a whole core doing nothing, on a machine that often
 * runs the target too. Polling draws from a token bucket refilled at `spinBudget` of a core;
 * when it runs dry, sleeps fall back to millisecond timers (late by up to ~1.5 ms, never
 * early) until it refills. Measured against nginx on loopback (after warm-up): at 1,000/s a
 * budget of 0.25 gave a send lag p50 of 0.40 ms for 0.43 of a core, a budget of 1 gave
 * 0.014 ms for a whole core; at 10,000/s, 0.14 ms (0.73 core) against 0.008 ms (1.0).
 * Raise the budget when send lag matters more than the generator's CPU.
 */

/** Clock is the engine's source of time: `now()` in ms, and a sleep that never returns early. */
export interface Clock {
  /** now returns the current time in ms on a monotonic timebase. */
  now(): number
  /**
   * sleepUntil resolves once now() ≥ t, or as soon as the signal aborts (it never rejects).
   * When t has already passed it still yields to the event loop once, so a caller that
   * loops on it cannot starve I/O.
   */
  sleepUntil(t: number, signal?: AbortSignal): Promise<void>
}

/** RealClockOptions tunes the real clock's trade between CPU and wake-up accuracy. */
export interface RealClockOptions {
  /** Poll instead of trusting the timer for the last `spinMs` before a deadline (default 1). */
  spinMs?: number
  /** Most of one core that idle polling may use, averaged (default 0.25; 1 = unbounded). */
  spinBudget?: number
}

/** Approximate CPU cost of one idle event-loop turn, in ms (measured: ~3.4 µs on the reference machine). */
const TURN_COST_MS = 0.003
/** The most polling time the bucket can save up, in ms. */
const BUCKET_MS = 20

/** SpinBudget is a token bucket of polling time, refilled at `rate` ms per ms of wall time. */
class SpinBudget {
  polls = 0
  private tokens = BUCKET_MS
  private last = performance.now()

  constructor(private readonly rate: number) {}

  /** take pays for one poll and says whether it is affordable. */
  take(now: number): boolean {
    this.tokens = Math.min(BUCKET_MS, this.tokens + (now - this.last) * this.rate)
    this.last = now
    if (this.tokens <= 0) return false
    this.tokens -= TURN_COST_MS
    this.polls++
    return true
  }
}

/** RealClock is the performance.now() clock; `polls` counts the idle polls it has paid for (a CPU diagnostic). */
export interface RealClock extends Clock {
  readonly polls: number
}

/** realClock returns the performance.now() clock with timer-then-poll sleeps. */
export function realClock(opts: RealClockOptions = {}): RealClock {
  const spinMs = opts.spinMs ?? 1
  const budget = new SpinBudget(opts.spinBudget ?? 0.25)
  return {
    now: () => performance.now(),
    sleepUntil: (t, signal) => new Promise<void>((resolve) => new RealSleep(t, signal, spinMs, budget, resolve).start()),
    get polls() {
      return budget.polls
    },
  }
}

/** RealSleep is one pending sleep of the real clock; its bound methods are its only callbacks. */
class RealSleep {
  private timer: NodeJS.Timeout | undefined = undefined
  private done = false

  constructor(
    private readonly t: number,
    private readonly signal: AbortSignal | undefined,
    private readonly spinMs: number,
    private readonly budget: SpinBudget,
    private readonly resolve: () => void,
  ) {}

  start(): void {
    const wait = this.t - performance.now() - this.spinMs
    if (wait <= 0 || this.signal?.aborted) {
      setImmediate(this.poll)
      return
    }
    // Only long sleeps listen for abort; a polling sleep notices it within a turn or a 1 ms timer.
    this.signal?.addEventListener('abort', this.finish, { once: true })
    this.timer = setTimeout(this.poll, wait)
  }

  private readonly poll = (): void => {
    this.timer = undefined
    if (this.done) return
    const now = performance.now()
    if (now >= this.t || this.signal?.aborted) this.finish()
    else if (this.budget.take(now)) setImmediate(this.poll)
    else this.timer = setTimeout(this.poll, this.t - now)
  }

  private readonly finish = (): void => {
    if (this.done) return
    this.done = true
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.signal?.removeEventListener('abort', this.finish)
    this.resolve()
  }
}

/** Sleeper is a pending fake sleep. */
interface Sleeper {
  t: number
  seq: number
  resolve: () => void
}

/** flush lets pending promise callbacks (and whatever they schedule with setImmediate first) run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * FakeClock is a Clock for tests: time stands still until advance() moves it, waking each
 * sleeper at exactly its deadline, in deadline order (ties in the order they slept).
 */
export class FakeClock implements Clock {
  private t: number
  private seq = 0
  private sleepers: Sleeper[] = []

  constructor(start = 0) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  /** pending is the number of sleepers not yet woken. */
  get pending(): number {
    return this.sleepers.length
  }

  sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
    if (t <= this.t || signal?.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const s: Sleeper = { t, seq: this.seq++, resolve }
      this.sleepers.push(s)
      signal?.addEventListener('abort', () => this.wake(s), { once: true })
    })
  }

  /** advance moves time forward by ms, waking every sleeper due on the way at its own deadline. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms
    for (;;) {
      await flush()
      const s = this.earliest()
      if (s === undefined || s.t > target) break
      this.t = Math.max(this.t, s.t)
      this.wake(s)
    }
    this.t = Math.max(this.t, target)
    await flush()
  }

  private earliest(): Sleeper | undefined {
    let best: Sleeper | undefined
    for (const s of this.sleepers) if (best === undefined || s.t < best.t || (s.t === best.t && s.seq < best.seq)) best = s
    return best
  }

  private wake(s: Sleeper): void {
    const i = this.sleepers.indexOf(s)
    if (i < 0) return
    this.sleepers.splice(i, 1)
    s.resolve()
  }
}

/** fakeClock returns a FakeClock standing at `start` ms. */
export function fakeClock(start = 0): FakeClock {
  return new FakeClock(start)
}
