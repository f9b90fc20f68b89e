import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { targetArrivals, wantsArrivals } from '../actors/arrivals.js'
import { Endpoint } from '../actors/types.js'
import type { Users } from '../identities/users.js'
import type { Recorder, RecorderSummary, Snapshot } from '../metrics/recorder.js'
import type { Finding, GeneratorHealth, RunResult } from '../result.js'
import { planPeakRate } from '../scenarios/stages.js'
import type { Plan } from '../scenarios/types.js'
import { RunChecks } from '../verdicts/checks.js'
import { evaluateThresholds } from '../verdicts/thresholds.js'
import { realClock, type Clock } from './clock.js'
import { HealthMonitor } from './health.js'
import { dispatch, drain, loadUsers, prepare } from './machinery.js'
import { buildResult } from './result.js'
import { autoWorkers } from './split.js'
import { checkRails, resolveTarget, type Limits, type ResolvedTarget, DEFAULT_LIMITS } from './target.js'
import { hasClosedActor, planWarmupBudget, warmUp } from './warmup.js'
import { sendFromWorkers } from './workers.js'

/**
 * A run, start to finish: safety rails, the target, identities, one actor per plan entry,
 * every actor dispatched from one shared start time (from this thread, or split over worker
 * threads: workers.ts), a bounded drain, and the result. The runner owns nothing it does not
 * stop: pools, workers and a built-in target are stopped however the run ends (finished,
 * aborted, or failed).
 */

/** RunOptions are what the CLI (or a test) decides about a run besides its plan. */
export interface RunOptions {
  limits?: Limits
  /** Aborting it stops sending; the run still drains, summarises and returns a result marked aborted. */
  signal?: AbortSignal
  clock?: Clock
  /** Called about once a second with live progress. */
  onSnapshot?: (s: Snapshot) => void
  snapshotMs?: number
  /** Called once the target answers and sending is about to start. */
  onStart?: (info: { url: string; runId: string; builtin: boolean }) => void
  /** Let the built-in target record arrival times (for race spread measurements). */
  debugArrivals?: boolean
  /** Worker threads to send from; 1 (the default) sends from this thread, 'auto' picks a count (split.ts autoWorkers). */
  workers?: number | 'auto'
}

/** LEAD_MS is how far ahead of now the shared start time is set, so every actor starts on schedule. */
const LEAD_MS = 20

/** RunContext is one run's shared state while it sends. */
export interface RunContext {
  plan: Plan
  opts: RunOptions
  target: ResolvedTarget
  clock: Clock
  runId: string
  /** Aborted by the caller's signal or by an abortOnFail threshold. */
  stop: AbortController
  debugArrivals: boolean
  /** fail stops the run for an abortOnFail threshold, keeping the first reason. */
  fail(reason: string): void
  /** Undone in reverse order when the run ends, however it ends. */
  cleanups: Array<() => unknown>
}

/** Sending is what a finished send phase hands to the conclusion: figures, findings and the verdict machinery. */
export interface Sending {
  recorder: Recorder
  checks: RunChecks
  durationMs: number
  findings: Finding[]
  generator(summary: RecorderSummary): GeneratorHealth
}

/** runPlan runs a compiled plan and returns its result document. */
export async function runPlan(plan: Plan, opts: RunOptions = {}): Promise<RunResult> {
  checkRails(plan, opts.limits ?? DEFAULT_LIMITS)
  const startedAt = new Date()
  // Race and burst duplicates report how tightly their copies landed, which the built-in target can record.
  const debugArrivals = opts.debugArrivals ?? wantsArrivals(plan)
  const target = await resolveTarget(plan, { debugArrivals })
  const stop = new AbortController()
  let abortReason: string | undefined
  const ctx: RunContext = {
    plan, opts, target, clock: opts.clock ?? realClock(), runId: randomBytes(8).toString('hex'), stop, debugArrivals, cleanups: [],
    fail: (reason) => {
      abortReason ??= reason
      stop.abort()
    },
  }
  const onAbort = () => stop.abort()
  opts.signal?.addEventListener('abort', onAbort)
  if (opts.signal?.aborted) stop.abort()
  try {
    const users = await loadUsers(plan, target.secret)
    const workers = opts.workers === 'auto' ? autoWorkers(availableParallelism(), planPeakRate(plan), hasClosedActor(plan), target.builtin) : opts.workers ?? 1
    const sent = workers > 1 ? await sendFromWorkers(ctx, users, workers) : await sendHere(ctx, users)
    const summary = sent.recorder.summary()
    const generator = sent.generator(summary)
    const verdicts = await sent.checks.finish(summary)
    const input = {
      plan, target, runId: ctx.runId, startedAt, durationMs: sent.durationMs, summary, generator, aborted: stop.signal.aborted,
      findings: [...sent.findings, ...verdicts.findings], ratelimit: verdicts.ratelimit, integrity: verdicts.integrity,
      ...(abortReason === undefined ? {} : { abortReason }),
    }
    // Thresholds read the assembled figures, so the result is built, measured, then built with them.
    const thresholds = evaluateThresholds(plan.thresholds, buildResult(input), () => sent.recorder.encode())
    return buildResult({ ...input, thresholds })
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    for (const undo of ctx.cleanups.reverse()) await undo()
    await target.stop()
  }
}

/** started tells the caller that sending starts, and from now on hands it `snapshot()` about once a second. */
export function started(ctx: RunContext, snapshot: () => Snapshot): void {
  const { opts, target, runId } = ctx
  opts.onStart?.({ url: target.url, runId, builtin: target.builtin })
  const onSnapshot = opts.onSnapshot
  if (onSnapshot === undefined) return
  const timer = setInterval(() => onSnapshot(snapshot()), opts.snapshotMs ?? 1000)
  ctx.cleanups.push(() => clearInterval(timer))
}

/** sendHere sends the whole schedule from this thread. */
async function sendHere(ctx: RunContext, users: Users): Promise<Sending> {
  const { plan, clock, stop, target, runId, opts } = ctx
  const run = prepare(plan, users, runId, target.url, clock)
  const { recorder, sender, actors } = run
  ctx.cleanups.push(() => recorder.destroy(), () => sender.destroy(), () => sender.close())
  const warm = run.templates.request(Endpoint.read, 0, 1)
  await warmUp(sender.pool(), warm, plan.target.connections, plan.target.warmupMs, planWarmupBudget(plan), stop.signal)
  // Counts of the posts the run will touch are read before anything is sent; the oracle and ledger then watch every request.
  const checks = await RunChecks.prepare(plan, target.url, run.templates, actors)
  ctx.cleanups.push(() => checks.close())
  checks.attach(sender)
  const t0 = clock.now() + LEAD_MS
  recorder.start(t0)
  const unwatch = checks.watch({ recorder, clock, t0, onFail: ctx.fail })
  started(ctx, () => recorder.snapshot(clock.now()))
  const health = new HealthMonitor()
  const dispatched = await Promise.all(plan.actors.map((_, i) => dispatch(plan, i, actors[i]!, t0, clock, stop.signal, recorder)))
  unwatch()
  await drain(dispatched, plan, stop.signal.aborted)
  await sender.close()
  const durationMs = clock.now() - t0
  const after = targetArrivals(target.url, runId, target.builtin && ctx.debugArrivals)
  await Promise.all(actors.map((a) => a.afterRun?.(after)))
  return {
    recorder, checks, durationMs, findings: actors.flatMap((a) => a.findings()),
    generator: (summary) => health.finish(sender.dispatchLagStats(), summary.latency.sendLag, summary.totals.dropped),
  }
}
