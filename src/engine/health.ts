import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { GeneratorHealth, Stats } from '../result.js'

/**
 * Generator health: is likebench itself keeping up? A load generator that falls behind its
 * schedule reports its own limits as the target's, so the run measures itself and says so
 * (DESIGN.md section 5, generator.saturated).
 *
 * Send lag (actual − intended send time) has two causes, and only one is the generator's:
 * the dispatcher handing a request to the transport late (dispatch lag: timers, a busy
 * event loop, too little CPU), or the request waiting for a free pooled connection because
 * every connection is busy with a slow target. The second is the target's slowness (or too
 * few `connections`), already counted in corrected latency, so it only earns a note.
 *
 * The rule, also in docs/performance.md: the run is saturated when
 *   - the p99 dispatch lag exceeds DISPATCH_LAG_P99_MS, or
 *   - the p99 event-loop delay exceeds LOOP_DELAY_P99_MS, or
 *   - arrivals were dropped at an in-flight cap (the schedule was not sent as written).
 */

/** DISPATCH_LAG_P99_MS is the p99 dispatch lag past which the generator counts as behind its schedule. */
export const DISPATCH_LAG_P99_MS = 5
/** POOL_WAIT_NOTE_MS is the p99 send lag beyond dispatch lag past which requests are said to have waited for connections. */
export const POOL_WAIT_NOTE_MS = 5
/** LOOP_DELAY_P99_MS is the p99 event-loop delay past which the generator counts as overloaded. */
export const LOOP_DELAY_P99_MS = 20

/** HealthMonitor samples the event loop and CPU for the length of a run. */
export class HealthMonitor {
  private readonly loop: IntervalHistogram
  private readonly cpu0 = process.cpuUsage()
  private readonly t0 = performance.now()

  constructor() {
    this.loop = monitorEventLoopDelay({ resolution: 10 })
    this.loop.enable()
  }

  /** loopDelay stops sampling and returns this thread's event-loop delay (a worker's, for the main thread to judge). */
  loopDelay(): Stats {
    this.loop.disable()
    return loopStats(this.loop)
  }

  /**
   * finish stops sampling and judges the run from its own measurements, the dispatch lag and
   * the send lag. With workers, `loopDelay` is the worst of theirs (the loops that send), and
   * the CPU is the whole process's, so it can pass 100%.
   */
  finish(dispatchLag: Stats, sendLag: Stats, dropped: number, workers = 1, loopDelay?: Stats): GeneratorHealth {
    this.loop.disable()
    const wallMs = performance.now() - this.t0
    const cpu = process.cpuUsage(this.cpu0)
    const cpuPercent = wallMs > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10 : 0
    const eventLoopLagMs = loopDelay ?? loopStats(this.loop)
    const reasons: string[] = []
    if (dispatchLag.count > 0 && dispatchLag.p99 > DISPATCH_LAG_P99_MS) reasons.push(`p99 dispatch lag ${dispatchLag.p99.toFixed(1)}ms > ${DISPATCH_LAG_P99_MS}ms`)
    if (eventLoopLagMs.p99 > LOOP_DELAY_P99_MS) reasons.push(`p99 event-loop delay ${eventLoopLagMs.p99.toFixed(1)}ms > ${LOOP_DELAY_P99_MS}ms`)
    if (dropped > 0) reasons.push(`${dropped} arrivals dropped at the in-flight cap`)
    const notes: string[] = []
    if (sendLag.p99 - dispatchLag.p99 > POOL_WAIT_NOTE_MS) {
      notes.push(`requests waited for a free connection (p99 send lag ${sendLag.p99.toFixed(1)}ms vs dispatch lag ${dispatchLag.p99.toFixed(1)}ms): the target answered slowly for the open connections; raise target.connections to offer the schedule as written`)
    }
    return { cpuPercent, eventLoopLagMs, dispatchLagMs: dispatchLag, sendLagMs: sendLag, saturated: reasons.length > 0, reasons, notes, workers }
  }
}

function loopStats(h: IntervalHistogram): Stats {
  const ms = (ns: number) => Math.round((ns / 1e6) * 1000) / 1000
  // The monitor records how late its own 10 ms timer fired: subtract the resolution it waits on purpose.
  const late = (ns: number) => Math.max(0, ms(ns) - 10)
  if (h.count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0 }
  return {
    count: h.count, min: late(h.min), mean: late(h.mean), p50: late(h.percentile(50)), p90: late(h.percentile(90)),
    p95: late(h.percentile(95)), p99: late(h.percentile(99)), p999: late(h.percentile(99.9)), max: late(h.max),
  }
}
