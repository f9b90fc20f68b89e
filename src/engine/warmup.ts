import type { Pool } from 'undici'
import type { SendRequest } from '../transport/send.js'
import { Exchange } from '../transport/send.js'
import { planPeakRate } from '../scenarios/stages.js'
import type { Plan } from '../scenarios/types.js'

/**
 * Warm-up: before the schedule's t = 0, send unrecorded requests over every connection of
 * the default pool for a short while. It opens the pool's connections and lets the JIT
 * compile the send path, so the first second of a run measures the target rather than
 * likebench starting up (undici needs ~800 ms of traffic to reach its steady throughput).
 * The requests are reads (`api.read` of post 1): idempotent, and not rate-limited on the
 * built-in target. They are also few: at most what the scenario itself offers over the same
 * time (its peak rate × the warm-up), and at least one per connection, so a warm-up never
 * loads a target harder than the run will (a closed-model run sends as fast as the target
 * answers, and so may its warm-up). `target.warmup: 0s` turns it off.
 */

/** warmupBudget is how many warm-up requests a run may send: its peak rate over the warm-up, at least one per connection. */
export function warmupBudget(peakRps: number, connections: number, ms: number): number {
  return Math.max(connections, Math.ceil((peakRps * ms) / 1000))
}

/** hasClosedActor says whether any actor of the plan is a closed model (it sends as fast as the target answers). */
export function hasClosedActor(plan: Plan): boolean {
  return plan.actors.some((a) => a.model === 'closed')
}

/** planWarmupBudget is a plan's warm-up budget: a closed-model actor sends as fast as the target answers, so its run's warm-up may too. */
export function planWarmupBudget(plan: Plan): number {
  return hasClosedActor(plan) ? Infinity : warmupBudget(planPeakRate(plan), plan.target.connections, plan.target.warmupMs)
}

/** warmUp keeps up to `concurrency` copies of `req` in flight on `pool` until `budget` were sent, `ms` have passed or `signal` aborts; nothing is recorded. */
export function warmUp(pool: Pool, req: SendRequest, concurrency: number, ms: number, budget: number, signal?: AbortSignal): Promise<{ sent: number; failed: number }> {
  if (ms <= 0 || budget <= 0 || signal?.aborted) return Promise.resolve({ sent: 0, failed: 0 })
  const end = performance.now() + ms
  let inFlight = 0
  let sent = 0
  let failed = 0
  return new Promise((resolve) => {
    const next = (x: Exchange) => {
      inFlight--
      if (x.error !== null) failed++
      // A target that refuses or fails the warm-up is not warmed by hammering it: stop early.
      if (sent < budget && performance.now() < end && failed < concurrency && !signal?.aborted) start(x)
      else if (inFlight === 0) resolve({ sent, failed })
    }
    const start = (x: Exchange) => {
      inFlight++
      sent++
      x.start(pool, req)
    }
    for (let i = 0; i < Math.min(concurrency, budget); i++) start(new Exchange(next))
  })
}
