import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { targetArrivals } from '../actors/arrivals.js'
import { Endpoint, type ActorState } from '../actors/types.js'
import { LikebenchError } from '../errors.js'
import type { EncodedRecorder, Snapshot } from '../metrics/recorder.js'
import type { Stats } from '../result.js'
import type { Plan } from '../scenarios/types.js'
import { hrtimeMs } from '../target/arrivals.js'
import { realClock } from './clock.js'
import { HealthMonitor } from './health.js'
import { dispatch, drain, loadUsers, prepare, type Running } from './machinery.js'
import { FLUSH_MS, TapWriter, type TapBatch } from './tap.js'
import { warmUp } from './warmup.js'

/**
 * One worker thread of a run (workers.ts starts them). It builds the run's machinery with
 * its share of the connections, warms its pool up, says it is ready, and waits for the shared
 * start time. Then it walks every actor's whole schedule and sends the arrivals whose
 * identity it owns (split.ts), posting live snapshots and, when the main thread watches the
 * rate limits or the counts, its request events (tap.ts). After the drain it reads the
 * target's arrival stamps for its actors and posts everything that merges exactly: the
 * encoded recorder, the dispatch-lag histogram, each actor's finding state and its loop delay.
 *
 * Times: this thread's performance.now() has its own origin. `shift` (from process.hrtime,
 * which every thread of the process shares) converts to the main thread's: the start time
 * arrives on the main timebase and leaves it here; everything posted is put back on it.
 */

/** WorkerInit is what the main thread gives each worker. */
export interface WorkerInit {
  plan: Plan
  url: string
  secret: string
  runId: string
  part: number
  workers: number
  /** hrtimeMs() − performance.now() on the main thread. */
  base: number
  /** This worker's share of target.connections. */
  connections: number
  /** This worker's share of the warm-up requests. */
  warmupBudget: number
  snapshotMs: number
  /** Post the encoded recorder with each snapshot (abortOnFail thresholds read it). */
  encodeSnapshots: boolean
  /** The built-in target records arrival stamps for this run. */
  arrivalsRecorded: boolean
}

/** ToWorker is what the main thread posts. */
export type ToWorker =
  | { type: 'start'; t0: number; tap: boolean; rateHeaders: boolean }
  | { type: 'stop' }

/** FromWorker is what a worker posts. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'snapshot'; snapshot: Snapshot; encoded: EncodedRecorder | null }
  | { type: 'events'; batch: TapBatch }
  | { type: 'done'; recorder: EncodedRecorder; dispatchLag: string; loopDelay: Stats; states: ActorState[]; aborted: boolean }
  | { type: 'error'; code: string; message: string; hint: string | undefined; exitCode: number | undefined }

async function work(d: WorkerInit, port: MessagePort): Promise<void> {
  const post = (m: FromWorker) => port.postMessage(m)
  const shift = hrtimeMs() - performance.now() - d.base
  const clock = realClock()
  const stop = new AbortController()
  let started: (m: Extract<ToWorker, { type: 'start' }> | null) => void = () => {}
  const start = new Promise<Extract<ToWorker, { type: 'start' }> | null>((resolve) => (started = resolve))
  port.on('message', (m: ToWorker) => {
    if (m.type === 'start') started(m)
    else {
      stop.abort()
      started(null)
    }
  })
  let run: Running | undefined
  const timers: NodeJS.Timeout[] = []
  try {
    const plan = d.plan
    const users = await loadUsers(plan, d.secret)
    run = prepare(plan, users, d.runId, d.url, clock, d.connections)
    const { recorder, sender, actors } = run
    await warmUp(sender.pool(), run.templates.request(Endpoint.read, 0, 1), d.connections, plan.target.warmupMs, d.warmupBudget, stop.signal)
    post({ type: 'ready' })
    const go = await start
    const t0 = go === null ? clock.now() : go.t0 - shift
    recorder.start(t0)
    let tap: TapWriter | undefined
    if (go?.tap) {
      const writer = (tap = new TapWriter(sender, shift))
      writer.attach(go.rateHeaders)
      timers.push(setInterval(() => post({ type: 'events', batch: writer.take() }), FLUSH_MS))
    }
    timers.push(setInterval(() => post({ type: 'snapshot', snapshot: recorder.snapshot(clock.now()), encoded: d.encodeSnapshots ? recorder.encode() : null }), d.snapshotMs))
    const health = new HealthMonitor()
    const part = { part: d.part, workers: d.workers }
    const dispatched = go === null ? [] : await Promise.all(plan.actors.map((_, i) => dispatch(plan, i, actors[i]!, t0, clock, stop.signal, recorder, part)))
    await drain(dispatched, plan, stop.signal.aborted)
    await sender.close()
    for (const t of timers.splice(0)) clearInterval(t)
    if (tap) post({ type: 'events', batch: tap.take() })
    const after = targetArrivals(d.url, d.runId, d.arrivalsRecorded)
    await Promise.all(actors.map((a) => a.afterRun?.(after)))
    post({
      type: 'done', recorder: recorder.encode(), dispatchLag: sender.encodeDispatchLag(), loopDelay: health.loopDelay(),
      states: actors.map((a) => a.state(shift)), aborted: stop.signal.aborted,
    })
  } catch (e) {
    const err = e as Error
    const lb = e instanceof LikebenchError ? e : undefined
    post({ type: 'error', code: lb?.code ?? 'LB_WORKER', message: err.message, hint: lb?.hint, exitCode: lb?.exitCode })
  } finally {
    for (const t of timers) clearInterval(t)
    await run?.sender.close()
    run?.sender.destroy()
    run?.recorder.destroy()
    port.close()
  }
}

if (parentPort !== null) void work(workerData as WorkerInit, parentPort)
