#!/usr/bin/env node
/**
 * engine: likebench's engine against peer tools, in one run, on one machine.
 *
 *   npm run build && node bench/engine.js [--rounds 3] [--seconds 5] [--connections 50]
 *                                         [--accuracy-seconds 30] [--only throughput|stall|accuracy]
 *
 * 1. throughput  closed loop, same connection count, against nginx (`return 204`, one
 *                worker) pinned to core 0, each tool pinned to the last core, one tool after
 *                the other, rounds interleaved; medians, and likebench's ratio to each peer.
 * 2. stall       1,000 requests/s for 10 s while the nginx worker is stopped (SIGSTOP) for
 *                1 s: the truth is p99 ≈ 900 ms (10% of requests wait 0–1,000 ms). likebench's
 *                corrected p99 should land within 10% of it, its uncorrected p99 should not;
 *                printed beside what autocannon (rate mode) and hey report for the same stall.
 * 3. accuracy    10,000 requests/s for 30 s: the achieved rate per second against the
 *                schedule, and the p99 dispatch and send lag.
 *
 * Needs nginx and wrk (apt-get install nginx wrk), hey for the stall comparison (apt-get
 * install hey), and autocannon (a devDependency). Traffic goes only to 127.0.0.1; every
 * run is bounded in time; only processes this script started are stopped, by PID.
 */
import { join } from 'node:path'
import { ROOT, arg, cores, fmt, has, likebench, machine, median, pinned, printTable, run, sleep, startNginx } from './lib.js'

const ROUNDS = Number(arg('rounds', '3'))
const SECONDS = Number(arg('seconds', '5'))
const CONNS = Number(arg('connections', '50'))
const ACCURACY_SECONDS = Number(arg('accuracy-seconds', '30'))
const ONLY = arg('only', '')
const [TARGET_CORE, GEN_CORE] = cores()
const AUTOCANNON = join(ROOT, 'node_modules/.bin/autocannon')

function scenario(url, actor, conns = CONNS) {
  return `target: { url: "${url}", connections: ${conns}, timeout: 5s, warmup: 1s }
integrity: { read: off }
users: { count: 1000 }
posts: { count: 100, pick: uniform }
actors:
  load: { kind: organic, readRatio: 100%, ${actor} }
`
}

async function wrk(url) {
  const [cmd, args] = pinned(GEN_CORE, 'wrk', ['-t1', `-c${CONNS}`, `-d${SECONDS}s`, '--latency', url])
  const r = await run(cmd, args)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1])
  const p = (q) => wrkTime(new RegExp(`^\\s+${q}%\\s+([\\d.]+\\w+)`, 'm').exec(r.stdout)?.[1])
  return { rps, p50: p(50), p99: p(99) }
}

function wrkTime(s) {
  if (!s) return NaN
  const m = /^([\d.]+)(us|ms|s)$/.exec(s)
  return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN
}

async function autocannon(url, extra = []) {
  const [cmd, args] = pinned(GEN_CORE, process.execPath, [AUTOCANNON, '-c', String(CONNS), '-d', String(SECONDS), '-j', ...extra, url])
  const r = await run(cmd, args)
  const j = lastJson(r.stdout)
  return { rps: j.requests.total / j.duration, p50: j.latency.p50, p90: j.latency.p90, p99: j.latency.p99, max: j.latency.max }
}

/** lastJson parses the last line of output that is a JSON document (autocannon prints its warm-up first). */
function lastJson(text) {
  const lines = text.trim().split('\n').filter((l) => l.startsWith('{'))
  return JSON.parse(lines[lines.length - 1])
}

async function likebenchClosed(url) {
  const r = await likebench(scenario(url, `concurrency: ${CONNS}, for: ${SECONDS}s`), GEN_CORE)
  const l = r.latency.corrected
  return { rps: r.totals.rps, p50: l.p50, p99: l.p99, cpu: r.generator.cpuPercent }
}

async function throughput() {
  console.log(`\n## 1. Throughput: closed loop, ${CONNS} connections, ${SECONDS} s, ${ROUNDS} rounds (nginx on core ${TARGET_CORE}, tools on core ${GEN_CORE})\n`)
  const nginx = await startNginx(TARGET_CORE)
  const tools = { likebench: likebenchClosed, autocannon: (u) => autocannon(u, ['--warmup', '[', '-c', String(CONNS), '-d', '1', ']']), ...(has('wrk') ? { wrk } : {}) }
  const results = Object.fromEntries(Object.keys(tools).map((k) => [k, []]))
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, fn] of Object.entries(tools)) {
        results[name].push(await fn(nginx.url))
        await sleep(500)
      }
    }
  } finally {
    await nginx.stop()
  }
  const med = (name, key) => median(results[name].map((x) => x[key]))
  const rows = [['tool', 'req/s (median)', 'min', 'max', 'p50 ms', 'p99 ms', 'likebench ÷ tool']]
  for (const name of Object.keys(tools)) {
    const rps = results[name].map((x) => x.rps)
    rows.push([name, fmt(median(rps)), fmt(Math.min(...rps)), fmt(Math.max(...rps)), fmt(med(name, 'p50'), 3), fmt(med(name, 'p99'), 3), fmt(med('likebench', 'rps') / median(rps), 2)])
  }
  printTable(rows)
  console.log(`\nlikebench generator CPU (median): ${fmt(med('likebench', 'cpu'))}% · latency as each tool reports it (likebench: corrected)`)
}

/** stalled runs `start()` and stops the nginx worker for 1 s, `at` ms after starting. */
async function stalled(nginx, at, start) {
  const pending = start()
  await sleep(at)
  process.kill(nginx.worker, 'SIGSTOP')
  await sleep(1000)
  process.kill(nginx.worker, 'SIGCONT')
  return pending
}

async function stall() {
  console.log('\n## 2. Coordinated omission: 1,000 requests/s for 10 s, the nginx worker stopped for 1 s\n')
  console.log('truth: p50 ≈ 0.1 ms, p90 ≈ 0–1 ms, p99 ≈ 900 ms, max ≈ 1,000 ms (10% of requests wait 0–1,000 ms)\n')
  const rows = [['tool', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'p99 vs 900 ms']]
  const row = (name, r) => rows.push([name, fmt(r.count), fmt(r.p50, 2), fmt(r.p90, 2), fmt(r.p99, 1), fmt(r.max, 1), `${fmt(((r.p99 - 900) / 900) * 100, 1)}%`])
  for (let round = 0; round < ROUNDS; round++) {
    const nginx = await startNginx(TARGET_CORE)
    try {
      // likebench starts, warms up for 1 s, then runs 10 s: stop the worker 3 s into the schedule.
      const lb = await stalled(nginx, 4500, () => likebench(scenario(nginx.url, 'rate: { hold: 1000/s, for: 10s }'), GEN_CORE))
      row('likebench corrected', { ...lb.latency.corrected })
      row('likebench uncorrected', { ...lb.latency.uncorrected })
      const ac = await stalled(nginx, 3300, () => {
        const [cmd, args] = pinned(GEN_CORE, process.execPath, [AUTOCANNON, '-c', String(CONNS), '-d', '10', '-R', '1000', '-j', nginx.url])
        return run(cmd, args)
      })
      const aj = lastJson(ac.stdout)
      row('autocannon -R 1000', { count: aj.requests.total, p50: aj.latency.p50, p90: aj.latency.p90, p99: aj.latency.p99, max: aj.latency.max })
      if (has('hey')) {
        const hey = await stalled(nginx, 3100, () => {
          const [cmd, args] = pinned(GEN_CORE, 'hey', ['-z', '10s', '-c', String(CONNS), '-q', String(1000 / CONNS), nginx.url])
          return run(cmd, args)
        })
        const q = (p) => Number(new RegExp(`\\s${p}% in ([\\d.]+) secs`).exec(hey.stdout)?.[1]) * 1000
        const count = Number(/\[204\]\s+(\d+) responses/.exec(hey.stdout)?.[1])
        row('hey -q (per worker)', { count, p50: q(50), p90: q(90), p99: q(99), max: Number(/Slowest:\s+([\d.]+)/.exec(hey.stdout)?.[1]) * 1000 })
      }
    } finally {
      await nginx.stop()
    }
  }
  printTable(rows)
}

async function accuracy() {
  console.log(`\n## 3. Rate accuracy: 10,000 requests/s for ${ACCURACY_SECONDS} s against nginx\n`)
  const nginx = await startNginx(TARGET_CORE)
  try {
    const r = await likebench(scenario(nginx.url, `rate: { hold: 10000/s, for: ${ACCURACY_SECONDS}s }`, 100), GEN_CORE)
    const full = r.timeline.slice(0, ACCURACY_SECONDS).map((t) => t.sent)
    const span = full.reduce((a, b) => a + b, 0) / full.length
    printTable([
      ['planned', 'sent', 'per-second sent (min / median / max)', 'achieved vs 10,000/s', 'dispatch lag p99 ms', 'send lag p99 ms', 'CPU %', 'saturated'],
      [fmt(r.actors.load.planned), fmt(r.totals.requests), `${fmt(Math.min(...full))} / ${fmt(median(full))} / ${fmt(Math.max(...full))}`,
        `${fmt(((span - 10000) / 10000) * 100, 2)}%`, fmt(r.generator.dispatchLagMs.p99, 2), fmt(r.generator.sendLagMs.p99, 2), fmt(r.generator.cpuPercent), String(r.generator.saturated)],
    ])
    if (r.generator.reasons.length) console.log(`reasons: ${r.generator.reasons.join('; ')}`)
  } finally {
    await nginx.stop()
  }
}

async function main() {
  if (!has('nginx')) {
    console.error('bench: nginx is not installed (apt-get install -y nginx)')
    process.exit(2)
  }
  console.log(`# likebench engine benchmark — ${new Date().toISOString()} — ${machine()}`)
  if (!ONLY || ONLY === 'throughput') await throughput()
  if (!ONLY || ONLY === 'stall') await stall()
  if (!ONLY || ONLY === 'accuracy') await accuracy()
}

await main()
