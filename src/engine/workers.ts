import { Worker } from 'node:worker_threads'
import type { Users } from '../identities/users.js'
import { Templates } from '../actors/requests.js'
import { ExitCode, LikebenchError, type ExitCodeValue } from '../errors.js'
import { addEncoded, histogram, stats } from '../metrics/hdr.js'
import type { EncodedRecorder, Recorder, RecorderSummary, Snapshot } from '../metrics/recorder.js'
import type { Stats } from '../result.js'
import type { Plan } from '../scenarios/types.js'
import { hrtimeMs } from '../target/arrivals.js'
import { RunChecks } from '../verdicts/checks.js'
import { HealthMonitor } from './health.js'
import { inertSends, makeActors, newRecorder } from './machinery.js'
import { started, type RunContext, type Sending } from './runner.js'
import { Replay } from './tap.js'
import { planWarmupBudget } from './warmup.js'
import type { FromWorker, ToWorker, WorkerInit } from './worker.js'

/**
 * Sending a run from worker threads (docs/engine.md, "Workers"): the main thread starts N
 * workers (worker.ts), each of which sends the arrivals whose identity it owns (split.ts),
 * and keeps everything that needs the whole run: the count read-back, the rate-limit oracle
 * and the integrity ledger (fed by the replay of the workers' request events, tap.ts), live
 * progress, abortOnFail, and at the end the exact merge of the workers' recorders, dispatch
 * lag and actor finding states into one result, the same document a single thread produces.
 */

/** WORKER_LEAD_MS is how far ahead the shared start time is set, so every worker has it before it comes. */
const WORKER_LEAD_MS = 50

type Done = Extract<FromWorker, { type: 'done' }>

/** sendFromWorkers runs the plan's schedule on `workers` threads and returns what the runner concludes from. */
export async function sendFromWorkers(ctx: RunContext, users: Users, workers: number): Promise<Sending> {
  const { plan, clock, stop, target, runId, opts } = ctx
  const templates = new Templates(plan.api, users, runId)
  // The merged recorder, and actors that never send: they answer the count read-back's
  // questions (which posts will be touched) and absorb the workers' finding states.
  const recorder = newRecorder(plan, clock.now())
  ctx.cleanups.push(() => recorder.destroy())
  const actors = makeActors(plan, users, templates, recorder, inertSends, clock)
  const live = new LiveFigures(plan, workers)
  const replay = new Replay(workers)
  const budget = planWarmupBudget(plan)
  const base = hrtimeMs() - performance.now()
  const pool = new WorkerPool(workers, (part) => ({
    plan, url: target.url, secret: target.secret, runId, part, workers, base,
    connections: Math.ceil(plan.target.connections / workers),
    warmupBudget: budget === Infinity ? Infinity : Math.ceil(budget / workers),
    snapshotMs: opts.snapshotMs ?? 1000,
    encodeSnapshots: plan.thresholds.some((t) => t.abortOnFail),
    arrivalsRecorded: target.builtin && ctx.debugArrivals,
  }), {
    snapshot: (w, s, encoded) => live.update(w, s, encoded),
    events: (w, batch) => replay.push(w, batch),
    done: (w) => replay.end(w),
  })
  ctx.cleanups.push(() => pool.terminate())
  const onStop = () => pool.stop()
  stop.signal.addEventListener('abort', onStop)
  ctx.cleanups.push(() => stop.signal.removeEventListener('abort', onStop))
  await pool.ready()
  const checks = await RunChecks.prepare(plan, target.url, templates, actors)
  ctx.cleanups.push(() => checks.close())
  checks.attach(replay)
  const t0 = clock.now() + WORKER_LEAD_MS
  recorder.start(t0)
  pool.start({ type: 'start', t0, tap: checks.watching, rateHeaders: replay.rateHeaders })
  if (stop.signal.aborted) pool.stop()
  const unwatch = checks.watch({ recorder: live, clock, t0, onFail: ctx.fail })
  started(ctx, () => live.snapshot())
  const health = new HealthMonitor()
  const done = await pool.done()
  unwatch()
  const durationMs = clock.now() - t0
  for (const d of done) {
    recorder.addEncoded(d.recorder)
    actors.forEach((a, i) => a.absorb(d.states[i]!))
  }
  const dispatchLag = mergedStats(done.map((d) => d.dispatchLag))
  const loopDelay = done.map((d) => d.loopDelay).reduce((worst, s) => (s.p99 > worst.p99 ? s : worst))
  return {
    recorder, checks, durationMs, findings: actors.flatMap((a) => a.findings()),
    generator: (summary) => health.finish(dispatchLag, summary.latency.sendLag, summary.totals.dropped, workers, loopDelay),
  }
}

/** mergedStats reads the Stats of the exact sum of encoded histograms. */
function mergedStats(encoded: string[]): Stats {
  const h = histogram()
  try {
    for (const e of encoded) addEncoded(h, e)
    return stats(h)
  } finally {
    h.destroy()
  }
}

/** Handlers receive what the workers post while they run. */
interface Handlers {
  snapshot(w: number, s: Snapshot, encoded: EncodedRecorder | null): void
  events(w: number, batch: Extract<FromWorker, { type: 'events' }>['batch']): void
  /** A worker has posted its last events. */
  done(w: number): void
}

/** WorkerPool starts the worker threads and speaks their protocol (worker.ts). */
class WorkerPool {
  private readonly threads: Worker[]
  private readonly results: Array<Done | undefined>
  private readyCount = 0
  private doneCount = 0
  private failure: LikebenchError | undefined
  private wake: () => void = () => {}

  constructor(n: number, init: (part: number) => WorkerInit, private readonly handlers: Handlers) {
    this.results = new Array<Done | undefined>(n)
    this.threads = Array.from({ length: n }, (_, part) => {
      const t = new Worker(new URL('./worker.js', import.meta.url), { workerData: init(part) })
      t.on('message', (m: FromWorker) => this.receive(part, m))
      t.on('error', (e) => this.fail(new LikebenchError('LB_WORKER', `worker ${part} failed: ${e.message}`, { exitCode: ExitCode.internal })))
      t.on('exit', (code) => {
        if (this.results[part] === undefined) this.fail(new LikebenchError('LB_WORKER', `worker ${part} stopped (exit code ${code}) before it finished`, { exitCode: ExitCode.internal }))
      })
      return t
    })
  }

  /** ready resolves once every worker has warmed up and waits for the start. */
  ready(): Promise<void> {
    return this.until(() => this.readyCount === this.threads.length)
  }

  /** done resolves with every worker's final message. */
  async done(): Promise<Done[]> {
    await this.until(() => this.doneCount === this.threads.length)
    return this.results as Done[]
  }

  start(m: ToWorker): void {
    for (const t of this.threads) t.postMessage(m)
  }

  /** stop asks every worker to stop sending, drain briefly and report (Ctrl-C, abortOnFail). */
  stop(): void {
    this.start({ type: 'stop' })
  }

  async terminate(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()))
  }

  private receive(part: number, m: FromWorker): void {
    switch (m.type) {
      case 'ready': this.readyCount++; break
      case 'snapshot': this.handlers.snapshot(part, m.snapshot, m.encoded); break
      case 'events': this.handlers.events(part, m.batch); break
      case 'done':
        this.results[part] = m
        this.doneCount++
        this.handlers.done(part)
        break
      case 'error':
        this.fail(new LikebenchError(m.code, m.message, { ...(m.hint === undefined ? {} : { hint: m.hint }), exitCode: (m.exitCode ?? ExitCode.internal) as ExitCodeValue }))
        return
    }
    this.wake()
  }

  private fail(e: LikebenchError): void {
    this.failure ??= e
    this.wake()
  }

  /** until resolves when `cond` holds, and rejects with the first worker failure. */
  private until(cond: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.failure) reject(this.failure)
        else if (cond()) resolve()
        else return
        this.wake = () => {}
      }
      this.wake = check
      check()
    })
  }
}

/** LiveFigures merges the workers' latest snapshots for progress, and their recorders for abortOnFail. */
class LiveFigures {
  private readonly snapshots: Array<Snapshot | undefined>
  private readonly encoded: Array<EncodedRecorder | undefined>

  constructor(private readonly plan: Plan, workers: number) {
    this.snapshots = new Array<Snapshot | undefined>(workers)
    this.encoded = new Array<EncodedRecorder | undefined>(workers)
  }

  update(w: number, s: Snapshot, encoded: EncodedRecorder | null): void {
    this.snapshots[w] = s
    if (encoded !== null) this.encoded[w] = encoded
  }

  /** snapshot sums the workers' latest snapshots; the interval p99 is the worst worker's. */
  snapshot(): Snapshot {
    const have = this.snapshots.filter((s): s is Snapshot => s !== undefined)
    const sum = (f: (s: Snapshot) => number) => have.reduce((n, s) => n + f(s), 0)
    return {
      t: Math.max(0, ...have.map((s) => s.t)),
      intervalMs: Math.max(0, ...have.map((s) => s.intervalMs)),
      rps: sum((s) => s.rps),
      p99: Math.max(0, ...have.map((s) => s.p99)),
      requests: sum((s) => s.requests),
      throttled: sum((s) => s.throttled),
      errors: sum((s) => s.errors),
      dropped: sum((s) => s.dropped),
      actors: this.plan.actors.map((a, i) => ({
        name: a.name,
        requests: sum((s) => s.actors[i]?.requests ?? 0),
        throttled: sum((s) => s.actors[i]?.throttled ?? 0),
        errors: sum((s) => s.actors[i]?.errors ?? 0),
        dropped: sum((s) => s.actors[i]?.dropped ?? 0),
      })),
    }
  }

  summary(): RecorderSummary {
    const r = this.merged()
    try {
      return r.summary()
    } finally {
      r.destroy()
    }
  }

  encode(): EncodedRecorder {
    const r = this.merged()
    try {
      return r.encode()
    } finally {
      r.destroy()
    }
  }

  private merged(): Recorder {
    const r = newRecorder(this.plan, 0)
    for (const e of this.encoded) if (e !== undefined) r.addEncoded(e)
    return r
  }
}
