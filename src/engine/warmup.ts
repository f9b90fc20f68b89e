import type { Pool } from 'undici'
import type { SendRequest } from '../transport/send.js'
import { Exchange } from '../transport/send.js'

/**
 * Warm-up: before the schedule's t = 0, send unrecorded requests over every connection of
 * the default pool for a short while. It opens the pool's connections and lets the JIT
 * compile the send path, so the first second of a run measures the target rather than
 * likebench starting up (undici needs ~800 ms of traffic to reach its steady throughput).
 * The requests are reads (`api.read` of post 1): idempotent, and not rate-limited on the
 * built-in target. `target.warmup: 0s` turns it off.
 */

/** warmUp keeps `concurrency` copies of `req` in flight on `pool` until `ms` have passed or `signal` aborts; nothing is recorded. */
export function warmUp(pool: Pool, req: SendRequest, concurrency: number, ms: number, signal?: AbortSignal): Promise<{ sent: number; failed: number }> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve({ sent: 0, failed: 0 })
  const end = performance.now() + ms
  let inFlight = 0
  let sent = 0
  let failed = 0
  return new Promise((resolve) => {
    const next = (x: Exchange) => {
      inFlight--
      if (x.error !== null) failed++
      // A target that refuses or fails the warm-up is not warmed by hammering it: stop early.
      if (performance.now() < end && failed < concurrency && !signal?.aborted) start(x)
      else if (inFlight === 0) resolve({ sent, failed })
    }
    const start = (x: Exchange) => {
      inFlight++
      sent++
      x.start(pool, req)
    }
    for (let i = 0; i < concurrency; i++) start(new Exchange(next))
  })
}
