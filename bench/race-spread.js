#!/usr/bin/env node
/**
 * race-spread: how tightly do racing copies reach the target? (abuse.md §8.4–8.5)
 *
 * Starts the built-in target with debugArrivals, then for each trial sends N copies of one
 * like (one user, one post) as
 *   - race:  a last-byte-synchronised burst over N warm raw sockets (dist/transport/race.js);
 *   - burst: N requests dispatched in the same tick through an undici pool of N connections
 *            (dist/transport/pool.js + send.js, the path `mode: burst` takes);
 * each trial with its own x-likebench-run id, so the target's arrival stamps of a trial are
 * exactly its N requests, and the spread is max − min of them. Prints median / p90 / max of
 * the spreads for both, plus the client-side release (or dispatch) loop duration.
 *
 *   npm run build && node bench/race-spread.js [--trials 200] [--copies 20] [--settle 10] [--latency 2ms±1ms]
 *
 * Loopback only; bounded by --trials. Run on demand, not in CI.
 */
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { startBuiltinTarget } from '../dist/target/launch.js'
import { signToken } from '../dist/target/token.js'
import { RaceClient } from '../dist/transport/race.js'
import { createPool } from '../dist/transport/pool.js'
import { send } from '../dist/transport/send.js'

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '200' },
    copies: { type: 'string', default: '20' },
    settle: { type: 'string', default: '10' },
    gap: { type: 'string', default: '20' },
    latency: { type: 'string' },
  },
})
const trials = Math.min(5000, Number(args.trials))
const copies = Math.min(200, Number(args.copies))
const settleMs = Number(args.settle)
const gapMs = Number(args.gap)

// No rate limits: every copy does the same work on the target, so the spread is the technique's.
const target = await startBuiltinTarget({ debugArrivals: true, flaws: ['no-rate-limit'], posts: 1000, ...(args.latency ? { latency: args.latency } : {}) })
const race = new RaceClient(target.url, { timeoutMs: 5000, settleMs })
const pool = createPool(target.url, { connections: copies, timeoutMs: 5000 })

/** like returns one like of `post` by user u<user>, tagged with a run id of its own. */
function like(run, user, post) {
  return {
    method: 'POST',
    path: `/v1/posts/${post}/likes`,
    headers: ['user-agent', 'likebench-bench', 'x-likebench-run', run, 'authorization', `Bearer ${signToken(target.secret, `u${user}`)}`],
    body: null,
  }
}

async function arrivals(run) {
  const res = await request(`${target.url}/debug/arrivals?run=${run}`)
  return (await res.body.json()).arrivals
}

function raceOnce(req) {
  return new Promise((resolve) => {
    const sent = []
    let left = copies
    race.burst(Array.from({ length: copies }, () => req), (_i, r) => {
      sent.push(r.sentAt)
      if (--left === 0) resolve(Math.max(...sent) - Math.min(...sent))
    })
  })
}

async function burstOnce(req) {
  const t0 = performance.now()
  const all = Array.from({ length: copies }, () => send(pool, req))
  const t1 = performance.now()
  await Promise.all(all)
  return t1 - t0
}

const spread = { race: [], burst: [] }
const loop = { race: [], burst: [] }
try {
  // Warm both: connections open, the target's routes and token cache hot.
  await race.warm(copies)
  await Promise.all(Array.from({ length: copies }, (_, i) => send(pool, like('warm', 1 + i, 1))))
  for (let t = 0; t < trials; t++) {
    for (const mode of t % 2 ? ['race', 'burst'] : ['burst', 'race']) {
      const run = `${mode}-${t}`
      const req = like(run, 1 + t * 2 + (mode === 'race' ? 0 : 1), 1 + (t % 1000))
      loop[mode].push(mode === 'race' ? await raceOnce(req) : await burstOnce(req))
      const a = await arrivals(run)
      if (a.length === copies) spread[mode].push(Math.max(...a) - Math.min(...a))
      await sleep(gapMs)
    }
  }
} finally {
  await race.close()
  await pool.destroy()
  await target.stop()
}

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] : NaN
}
const ms = (x) => `${x.toFixed(3)}ms`
console.log(`race-spread: ${copies} copies × ${trials} trials per mode, settle ${settleMs}ms, Node ${process.version}${args.latency ? `, target latency ${args.latency}` : ''}`)
console.log('mode   measured  spread p50  spread p90  spread max   client loop p50')
for (const mode of ['race', 'burst']) {
  const s = spread[mode]
  console.log(`${mode.padEnd(6)} ${String(s.length).padStart(8)}  ${ms(q(s, 0.5)).padStart(10)}  ${ms(q(s, 0.9)).padStart(10)}  ${ms(q(s, 1)).padStart(10)}   ${ms(q(loop[mode], 0.5)).padStart(10)}`)
}
