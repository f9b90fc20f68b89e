import { randomBytes } from 'node:crypto'
import { targetArrivals, wantsArrivals } from '../actors/arrivals.js'
import { ACTORS } from '../actors/index.js'
import { populations } from '../actors/population.js'
import { Templates } from '../actors/requests.js'
import { ENDPOINT_NAMES, Endpoint, type Actor, type ActorContext } from '../actors/types.js'
import { postPicker } from '../identities/posts.js'
import { generatedUsers, loadCsvUsers, type Users } from '../identities/users.js'
import { Recorder, type Snapshot } from '../metrics/recorder.js'
import { hashString, streamKey } from '../rng.js'
import type { Finding, RunResult } from '../result.js'
import type { ActorPlan, Plan } from '../scenarios/types.js'
import { RunChecks } from '../verdicts/checks.js'
import { evaluateThresholds } from '../verdicts/thresholds.js'
import { actorSchedule } from './arrival.js'
import { planPeakRate } from '../scenarios/stages.js'
import { realClock, type Clock } from './clock.js'
import { runClosed, runOpen, type DispatchResult } from './dispatch.js'
import { HealthMonitor } from './health.js'
import { buildResult } from './result.js'
import { Sender } from './sender.js'
import { warmUp, warmupBudget } from './warmup.js'
import { checkRails, resolveTarget, type Limits, DEFAULT_LIMITS } from './target.js'

/**
 * A run, start to finish: safety rails, the target, identities, one actor per plan entry,
 * every actor dispatched from one shared start time, a bounded drain, and the result. The
 * runner owns nothing it does not stop: pools are closed and a built-in target is stopped
 * however the run ends (finished, aborted, or failed).
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
}

/** LEAD_MS is how far ahead of now the shared start time is set, so every actor starts on schedule. */
const LEAD_MS = 20
/** ABORT_DRAIN_MS bounds how long an aborted run waits for requests still in flight. */
const ABORT_DRAIN_MS = 2000

/** runPlan runs a compiled plan and returns its result document. */
export async function runPlan(plan: Plan, opts: RunOptions = {}): Promise<RunResult> {
  checkRails(plan, opts.limits ?? DEFAULT_LIMITS)
  const startedAt = new Date()
  // Race and burst duplicates report how tightly their copies landed, which the built-in target can record.
  const debugArrivals = opts.debugArrivals ?? wantsArrivals(plan)
  const target = await resolveTarget(plan, { debugArrivals })
  const clock = opts.clock ?? realClock()
  const runId = randomBytes(8).toString('hex')
  const stop = new AbortController()
  const onAbort = () => stop.abort()
  opts.signal?.addEventListener('abort', onAbort)
  let progress: NodeJS.Timeout | undefined
  let run: Running | undefined
  let checks: RunChecks | undefined
  let abortReason: string | undefined
  try {
    const users = await loadUsers(plan, target.secret)
    run = prepare(plan, users, runId, target.url, clock)
    const { recorder, actors } = run
    const warm = run.templates.request(Endpoint.read, 0, 1)
    // A closed-model actor sends as fast as the target answers, so its run's warm-up may too.
    const closed = plan.actors.some((a) => a.model === 'closed')
    const budget = closed ? Infinity : warmupBudget(planPeakRate(plan), plan.target.connections, plan.target.warmupMs)
    await warmUp(run.sender.pool(), warm, plan.target.connections, plan.target.warmupMs, budget, stop.signal)
    // Counts of the posts the run will touch are read before anything is sent; the oracle and ledger then watch every request.
    checks = await RunChecks.prepare(plan, target.url, run.templates, actors)
    checks.attach(run.sender)
    const t0 = clock.now() + LEAD_MS
    recorder.start(t0)
    const unwatch = checks.watch({ recorder, clock, t0, onFail: (reason) => ((abortReason ??= reason), stop.abort()) })
    opts.onStart?.({ url: target.url, runId, builtin: target.builtin })
    if (opts.onSnapshot) {
      const onSnapshot = opts.onSnapshot
      progress = setInterval(() => onSnapshot(recorder.snapshot(clock.now())), opts.snapshotMs ?? 1000)
    }
    const health = new HealthMonitor()
    const dispatched = await Promise.all(plan.actors.map((a, i) => dispatch(plan, a, actors[i]!, i, t0, clock, stop.signal, recorder)))
    unwatch()
    // A request queued behind a full pool can take two timeouts; past that, closing the pools
    // aborts what is left, and those requests are still recorded (as aborted) before the summary.
    await drain(dispatched, stop.signal.aborted ? ABORT_DRAIN_MS : 2 * plan.target.timeoutMs + 1000)
    await run.sender.close()
    const durationMs = clock.now() - t0
    const after = targetArrivals(target.url, runId, target.builtin && debugArrivals)
    await Promise.all(actors.map((a) => a.afterRun?.(after)))
    const findings: Finding[] = actors.flatMap((a) => a.findings())
    const summary = recorder.summary()
    const generator = health.finish(run.sender.dispatchLagStats(), summary.latency.sendLag, summary.totals.dropped)
    const verdicts = await checks.finish(summary)
    const input = {
      plan, target, runId, startedAt, durationMs, summary, generator, aborted: stop.signal.aborted,
      findings: [...findings, ...verdicts.findings], ratelimit: verdicts.ratelimit, integrity: verdicts.integrity,
      ...(abortReason === undefined ? {} : { abortReason }),
    }
    // Thresholds read the assembled figures, so the result is built, measured, then built with them.
    const thresholds = evaluateThresholds(plan.thresholds, buildResult(input), () => recorder.encode())
    return buildResult({ ...input, thresholds })
  } finally {
    if (progress) clearInterval(progress)
    opts.signal?.removeEventListener('abort', onAbort)
    await run?.sender.close()
    await checks?.close()
    await target.stop()
    run?.sender.destroy()
    run?.recorder.destroy()
  }
}

/** Running is a run's machinery, built once the identities are loaded; the recorder starts at t = 0, after the warm-up. */
interface Running {
  recorder: Recorder
  sender: Sender
  templates: Templates
  actors: Actor[]
}

function prepare(plan: Plan, users: Users, runId: string, url: string, clock: Clock): Running {
  const recorder = new Recorder({ actors: plan.actors.map((a) => a.name), endpoints: ENDPOINT_NAMES, throttleStatus: plan.throttleStatus, startMs: clock.now() })
  const sender = new Sender(url, plan.target.connections, plan.target.timeoutMs, recorder)
  const templates = new Templates(plan.api, users, runId)
  return { recorder, sender, templates, actors: makeActors(plan, users, templates, recorder, sender, clock) }
}

async function loadUsers(plan: Plan, secret: string): Promise<Users> {
  if (plan.users.kind === 'file') return loadCsvUsers(plan.users.file)
  return generatedUsers(plan.users.count, plan.users.secret ?? (secret || 'likebench'))
}

function makeActors(plan: Plan, users: Users, templates: Templates, recorder: Recorder, sender: Sender, clock: Clock): Actor[] {
  const pickPost = postPicker(plan.posts)
  const slices = populations(plan)
  return plan.actors.map((actor, index) => {
    const slots = ENDPOINT_NAMES.map((ep) => recorder.slot(actor.name, ep))
    const ctx: ActorContext = {
      plan, actor, index, users, population: slices[index]!, pickPost, templates,
      rngKey: streamKey(plan.seed, hashString(actor.name)),
      send: (req, intendedMs, cb) => sender.send(req, slots[req.endpoint]!, index, intendedMs, cb),
      race: (reqs, cb) => sender.sendRace(reqs, slots, index, cb),
      source: (address) => sender.source(address),
      now: () => clock.now(),
    }
    return ACTORS[actor.kind](ctx)
  })
}

function dispatch(plan: Plan, a: ActorPlan, actor: Actor, index: number, t0: number, clock: Clock, signal: AbortSignal, recorder: Recorder): Promise<DispatchResult> {
  if (a.model === 'closed') {
    return runClosed({ concurrency: a.concurrency!, durationMs: a.durationMs, fire: actor.fire, signal, clock, startMs: t0 + a.startMs })
  }
  return runOpen({
    cursor: actorSchedule(plan.seed, a).cursor(), clock, startMs: t0 + a.startMs, fire: actor.fire, maxInFlight: a.maxInFlight, signal,
    onDrop: () => recorder.drop(index),
  })
}

/** drain waits for requests still in flight, at most `ms`; the pools' close aborts whatever is left. */
async function drain(dispatched: DispatchResult[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
  await Promise.race([Promise.all(dispatched.map((d) => d.inFlight.idle())), timeout])
  clearTimeout(timer)
}
