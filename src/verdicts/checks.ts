import type { Templates } from '../actors/requests.js'
import { ENDPOINT_NAMES, type Actor } from '../actors/types.js'
import type { Clock } from '../engine/clock.js'
import { resultFigures } from '../engine/result.js'
import type { RequestStream } from '../engine/sender.js'
import type { Recorder, RecorderSummary } from '../metrics/recorder.js'
import type { Finding, IntegrityResult, RateLimitResult } from '../result.js'
import type { Plan } from '../scenarios/types.js'
import { IntegrityLedger, integrityFinding, integrityResult } from './integrity.js'
import { RateLimitOracle, rateLimitFindings } from './ratelimit.js'
import { CountReader, type Counts } from './reads.js'
import { evaluateThresholds } from './thresholds.js'
import { touchedPosts, type Touched } from './touched.js'

/**
 * A run's verdict machinery, in the order the runner needs it: read the counts of the posts
 * the run will touch (before anything is sent), attach the rate-limit oracle and the
 * integrity ledger to the sender, watch abortOnFail thresholds on live figures, and once the
 * run is over read the counts again and hand back the ratelimit and integrity sections and
 * their findings. Thresholds on the final result are evaluated by the runner
 * (thresholds.ts), once the result exists.
 */

/** VerdictSections are what a finished run's checks add to its result. */
export interface VerdictSections {
  ratelimit: Record<string, RateLimitResult>
  integrity: IntegrityResult | null
  findings: Finding[]
}

/** WatchOptions let the abortOnFail watch read live figures and stop the run. */
export interface WatchOptions {
  /** The run's figures so far: its recorder, or the merge of its workers' (workers.ts). */
  recorder: Pick<Recorder, 'summary' | 'encode'>
  clock: Clock
  /** The run's start on the clock. */
  t0: number
  /** Called once, with the reason, when an abortOnFail threshold fails. */
  onFail(reason: string): void
  intervalMs?: number
}

/** RunChecks is one run's oracle, ledger and read-back. */
export class RunChecks {
  private oracle: RateLimitOracle | undefined
  private ledger: IntegrityLedger | undefined

  private constructor(
    private readonly plan: Plan,
    private readonly url: string,
    private readonly reader: CountReader | undefined,
    private readonly touched: Touched,
    private readonly before: Counts,
  ) {}

  /** prepare reads the counts of the posts the run's actors will touch (unless integrity.read is off); nothing has been sent yet. */
  static async prepare(plan: Plan, url: string, templates: Templates, actors: readonly Actor[]): Promise<RunChecks> {
    if (plan.integrity.read === 'off') return new RunChecks(plan, url, undefined, { posts: [], notes: [] }, new Map())
    const touched = touchedPosts(plan, actors)
    const reader = new CountReader({ url, api: plan.api, templates, throttleStatus: plan.throttleStatus, timeoutMs: plan.target.timeoutMs })
    const before = await reader.read(touched.posts)
    return new RunChecks(plan, url, reader, touched, before)
  }

  /** attach puts the oracle (when the plan declares policies) and the ledger on the sender's path. */
  attach(sender: RequestStream): void {
    const plan = this.plan
    if (plan.policies.length) {
      const loopback = new URL(this.url).hostname === '[::1]' ? '::1' : '127.0.0.1'
      const oracle = new RateLimitOracle({
        policies: plan.policies, throttleStatus: plan.throttleStatus, endpoints: ENDPOINT_NAMES,
        addressOf: (source) => sender.addressOf(source) ?? loopback,
      })
      sender.onSent(oracle.sent, { rateHeaders: true })
      sender.observe(oracle.done)
      this.oracle = oracle
    }
    if (this.reader && this.readable().length) {
      const watched = new Uint8Array(plan.posts.count + 1)
      for (const p of this.readable()) watched[p] = 1
      this.ledger = new IntegrityLedger(watched, plan.throttleStatus)
      sender.observe(this.ledger.done)
    }
  }

  /** watching says whether attach() put anything on the request stream (the oracle or the ledger). */
  get watching(): boolean {
    return this.oracle !== undefined || this.ledger !== undefined
  }

  /** readable lists the touched posts whose count was read before the run. */
  private readable(): number[] {
    return this.touched.posts.filter((p) => this.before.get(p) !== undefined)
  }

  /** watch evaluates abortOnFail thresholds about once a second (each after its delay) and reports the first failure; returns a stop function. */
  watch(o: WatchOptions): () => void {
    const due = this.plan.thresholds.filter((t) => t.abortOnFail)
    if (due.length === 0) return () => {}
    const timer = setInterval(() => {
      const elapsed = o.clock.now() - o.t0
      const now = due.filter((t) => elapsed >= t.delayAbortEvalMs)
      if (now.length === 0) return
      const view = { ...resultFigures(this.plan, o.recorder.summary(), elapsed), ratelimit: this.oracle?.results() ?? {}, integrity: null }
      const failed = evaluateThresholds(now, view, () => o.recorder.encode()).find((r) => !r.ok)
      if (failed === undefined) return
      clearInterval(timer)
      o.onFail(`abortOnFail: threshold ${failed.metric}: ${failed.expr} failed ${(elapsed / 1000).toFixed(1)}s into the run (was ${failed.value})`)
    }, o.intervalMs ?? 1000)
    timer.unref()
    return () => clearInterval(timer)
  }

  /** finish waits integrity.settle, reads the counts again, and returns the sections and findings. */
  async finish(summary: RecorderSummary): Promise<VerdictSections> {
    const ratelimit = this.oracle?.results(summary.latency.uncorrected.p99) ?? {}
    const integrity = await this.readBack()
    return { ratelimit, integrity, findings: [...rateLimitFindings(ratelimit), ...(integrity ? integrityFinding(integrity) : [])] }
  }

  private async readBack(): Promise<IntegrityResult | null> {
    if (!this.reader || !this.ledger) {
      if (!this.reader) return null
      const notes = [...this.touched.notes, this.reader.failureNote() ?? 'no post was touched']
      return integrityResult({ touched: this.touched.posts, before: this.before, after: new Map(), ledger: new IntegrityLedger(new Uint8Array(0), []), notes })
    }
    await new Promise((resolve) => setTimeout(resolve, this.plan.integrity.settleMs))
    const after = await this.reader.read(this.readable())
    const note = this.reader.failureNote()
    return integrityResult({
      touched: this.touched.posts, before: this.before, after, ledger: this.ledger, notes: note ? [...this.touched.notes, note] : this.touched.notes,
    })
  }

  /** close frees the read pool. */
  async close(): Promise<void> {
    await this.reader?.close()
  }
}
