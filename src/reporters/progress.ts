import cliProgress from 'cli-progress'
import type { Snapshot } from '../metrics/recorder.js'
import { int, ms } from './table.js'

/**
 * Live progress on stderr while a run sends: a bar on a terminal, a plain line every few
 * seconds otherwise (CI logs), nothing with --quiet. It renders snapshots only; it never
 * touches the engine.
 */

/** Progress is started once sending begins, receives snapshots, and is stopped once. */
export interface Progress {
  start(): void
  update(s: Snapshot): void
  stop(): void
}

/** PLAIN_EVERY_MS is how often a non-terminal gets a progress line. */
const PLAIN_EVERY_MS = 5000

function actorsLine(s: Snapshot): string {
  return s.actors.map((a) => `${a.name} ${int(a.requests)}${a.throttled ? ` 429:${int(a.throttled)}` : ''}${a.errors ? ` err:${int(a.errors)}` : ''}${a.dropped ? ` drop:${int(a.dropped)}` : ''}`).join(' · ')
}

/** progress builds the progress display for a run of `totalMs`, writing to `stream`. */
export function progress(totalMs: number, stream: NodeJS.WriteStream, mode: 'bar' | 'plain' | 'off'): Progress {
  if (mode === 'off') return { start: () => {}, update: () => {}, stop: () => {} }
  const total = Math.max(1, Math.round(totalMs / 1000))
  if (mode === 'plain') {
    let last = -Infinity
    return {
      start: () => {},
      update(s) {
        if (s.t - last < PLAIN_EVERY_MS) return
        last = s.t
        stream.write(`[${Math.round(s.t / 1000)}s/${total}s] ${s.rps.toFixed(0)}/s p99 ${ms(s.p99)} · ${actorsLine(s)}\n`)
      },
      stop: () => {},
    }
  }
  const bar = new cliProgress.SingleBar({
    stream,
    format: '{bar} {elapsed}/{total}s · {rate}/s · p99 {p99} · {actors}',
    barsize: 20,
    hideCursor: true,
    clearOnComplete: true,
    linewrap: false,
  }, cliProgress.Presets.shades_classic)
  let running = false
  return {
    start() {
      bar.start(total, 0, { elapsed: 0, rate: 0, p99: '-', actors: '' })
      running = true
    },
    update(s) {
      if (!running) return
      const elapsed = Math.min(total, Math.round(s.t / 1000))
      bar.update(elapsed, { elapsed, rate: s.rps.toFixed(0), p99: ms(s.p99), actors: actorsLine(s) })
    },
    stop() {
      if (!running) return
      running = false
      bar.stop()
      // Leave the cursor at the start of an empty line, whatever the bar last drew.
      stream.write('\r\u001b[2K')
    },
  }
}
