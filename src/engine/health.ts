import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import type { GeneratorHealth, Stats } from '../result.js'

/**
 * Generator health: is likebench itself keeping up? A load generator that falls behind its
 * schedule reports its own limits as the target's, so the run measures itself and says so
 * (DESIGN.md section 5, generator.saturated).
 *
 * The rule, also in docs/performance.md: the run is saturated when
 *   - the p99 send lag (actual − intended send time) exceeds SEND_LAG_P99_MS, or
 *   - the p99 event-loop delay exceeds LOOP_DELAY_P99_MS, or
 *   - arrivals were dropped at an in-flight cap (the schedule was not sent as written).
 */

/** SEND_LAG_P99_MS is the p99 send lag past which the generator counts as behind its schedule. */
export const SEND_LAG_P99_MS = 5
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

  /** finish stops sampling and judges the run from its own measurements and the send lag. */
  finish(sendLag: Stats, dropped: number, workers = 1): GeneratorHealth {
    this.loop.disable()
    const wallMs = performance.now() - this.t0
    const cpu = process.cpuUsage(this.cpu0)
    const cpuPercent = wallMs > 0 ? Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 1000) / 10 : 0
    const eventLoopLagMs = loopStats(this.loop)
    const reasons: string[] = []
    if (sendLag.count > 0 && sendLag.p99 > SEND_LAG_P99_MS) reasons.push(`p99 send lag ${sendLag.p99.toFixed(1)}ms > ${SEND_LAG_P99_MS}ms`)
    if (eventLoopLagMs.p99 > LOOP_DELAY_P99_MS) reasons.push(`p99 event-loop delay ${eventLoopLagMs.p99.toFixed(1)}ms > ${LOOP_DELAY_P99_MS}ms`)
    if (dropped > 0) reasons.push(`${dropped} arrivals dropped at the in-flight cap`)
    return { cpuPercent, eventLoopLagMs, sendLagMs: sendLag, saturated: reasons.length > 0, reasons, workers }
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
