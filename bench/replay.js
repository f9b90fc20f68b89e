#!/usr/bin/env node
/**
 * replay: what the main thread pays to merge the workers' request events (src/engine/tap.ts)
 * before the rate-limit oracle and the integrity ledger see them.
 *
 *   npm run build && node bench/replay.js [--workers 4] [--requests 1000000]
 *
 * Builds each worker's events (a SENT and a DONE per request, in batches of 2,000 requests as
 * a worker posts them), interleaves the batches by their asOf as they would arrive, and times
 * the replay into observers that only count: the merge alone, without the oracle's or the
 * ledger's own work (which a single-threaded run pays as well). No traffic is sent.
 */
import { Replay } from '../dist/engine/tap.js'
import { arg, fmt, machine } from './lib.js'

const W = Number(arg('workers', '4'))
const PER = Math.floor(Number(arg('requests', '1000000')) / W)
const BATCH = 2000
const r = new Replay(W)
let sent = 0, done = 0
r.onSent(() => (sent++, 0)); r.observe(() => done++)
const batches = []
for (let w = 0; w < W; w++) {
  let t = w * 0.001
  for (let b = 0; b < PER / BATCH; b++) {
    const ev = new Float64Array(BATCH * 2 * 10)
    for (let i = 0; i < BATCH; i++) {
      const seq = b * BATCH + i, o = i * 20
      ev.set([1, t, seq, t, 0, 0, seq % 1000, 7, -1, seq % 1000], o); t += 0.01
      ev.set([2, t, seq, 200, -1, t - 0.01, t, -1, -1, 0], o + 10); t += 0.01
    }
    batches.push([w, { events: ev, asOf: t, addresses: [null] }])
  }
}
batches.sort((a, b) => a[1].asOf - b[1].asOf)
const t0 = performance.now()
for (const [w, b] of batches) r.push(w, b)
for (let w = 0; w < W; w++) r.end(w)
const ms = performance.now() - t0
console.log(`# replay — ${machine()}\n${fmt(W * PER)} requests from ${W} workers replayed in ${fmt(ms, 1)} ms: ${fmt((ms * 1000) / (W * PER), 3)} µs per request (sent ${fmt(sent)}, done ${fmt(done)})`)
