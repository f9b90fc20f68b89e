#!/usr/bin/env node
/**
 * engine: likebench's engine against peer tools, in one run, on one machine.
 *
 *   npm run build && node bench/engine.js [--rounds 3] [--seconds 5] [--connections 50]
 *                                         [--accuracy-seconds 30] [--accuracy-rates 10000,20000]
 *                                         [--target-cores 1] [--only throughput|stall|accuracy|scaling]
 *
 * 1. throughput  closed loop, same connection count, against nginx (`return 204`, one
 *                worker) pinned to core 0, each tool pinned to the last core, one tool after
 *                the other, rounds interleaved; medians, and likebench's ratio to each peer.
 * 2. stall       1,000 requests/s for 10 s while the nginx worker is stopped (SIGSTOP) for
 *                1 s: the truth is p99 ≈ 900 ms (10% of requests wait 0–1,000 ms). likebench's
 *                corrected p99 should land within 10% of it, its uncorrected p99 should not;
 *                printed beside what autocannon (rate mode) and hey report for the same stall.
 * 3. accuracy    each of --accuracy-rates (10,000 and 20,000 requests/s) for 30 s on the
 *                generator's core: the achieved rate per second against the schedule, the
 *                p99 dispatch and send lag, and whether the run calls itself saturated.
 * 4. scaling     closed loop again, with nginx on the first --target-cores cores (one worker
 *                process each) and the tools on the cores left: likebench --workers 1, 2, …,
 *                autocannon -w 1, 2, … and wrk -t 1, 2, … up to the cores left, and each
 *                tool's ratio to its own one-thread figure. With one core left (a 2-core
 *                machine) the scaling cannot be measured, and the section says so and runs
 *                the 2-thread rows oversubscribed on that one core, for information.
 *
 * Needs nginx and wrk (apt-get install nginx wrk), hey for the stall comparison (apt-get
 * install hey), and autocannon (a devDependency). Traffic goes only to 127.0.0.1; every
 * run is bounded in time; only processes this script started are stopped, by PID.
 */
import { cpus } from 'node:os'
import { join } from 'node:path'
import { ROOT, arg, cores, fmt, has, likebench, machine, median, pinned, printTable, run, sleep, startNginx } from './lib.js'

const ROUNDS = Number(arg('rounds', '3'))
const SECONDS = Number(arg('seconds', '5'))
const CONNS = Number(arg('connections', '50'))
const ACCURACY_SECONDS = Number(arg('accuracy-seconds', '30'))
const ACCURACY_RATES = arg('accuracy-rates', '10000,20000').split(',').map(Number)
const TARGET_CORES = Number(arg('target-cores', '1'))
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

async function wrk(url, threads = 1, core = GEN_CORE) {
  const [cmd, args] = pinned(core, 'wrk', [`-t${threads}`, `-c${CONNS}`, `-d${SECONDS}s`, '--latency', url])
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

async function autocannon(url, extra = [], core = GEN_CORE) {
  const [cmd, args] = pinned(core, process.execPath, [AUTOCANNON, '-c', String(CONNS), '-d', String(SECONDS), '-j', ...extra, url])
  const r = await run(cmd, args)
  const j = lastJson(r.stdout)
  return { rps: j.requests.total / j.duration, p50: j.latency.p50, p90: j.latency.p90, p99: j.latency.p99, max: j.latency.max }
}

/** lastJson parses the last line of output that is a JSON document (autocannon prints its warm-up first). */
function lastJson(text) {
  const lines = text.trim().split('\n').filter((l) => l.startsWith('{'))
  return JSON.parse(lines[lines.length - 1])
}

async function likebenchClosed(url, workers = 1, core = GEN_CORE) {
  const r = await likebench(scenario(url, `concurrency: ${CONNS}, for: ${SECONDS}s`), core, ['--workers', String(workers)])
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
  console.log(`\n## 3. Rate accuracy: ${ACCURACY_RATES.map((r) => fmt(r)).join(' and ')} requests/s for ${ACCURACY_SECONDS} s against nginx, one worker on core ${GEN_CORE}\n`)
  const rows = [['rate/s', 'planned', 'sent', 'per-second sent (min / median / max)', 'achieved vs schedule', 'dispatch lag p99 ms', 'send lag p99 ms', 'CPU %', 'saturated']]
  const reasons = []
  for (const rate of ACCURACY_RATES) {
    const nginx = await startNginx(TARGET_CORE)
    try {
      const r = await likebench(scenario(nginx.url, `rate: { hold: ${rate}/s, for: ${ACCURACY_SECONDS}s }`, 100), GEN_CORE, ['--workers', '1', '--max-rate', String(rate)])
      const full = r.timeline.slice(0, ACCURACY_SECONDS).map((t) => t.sent)
      const span = full.reduce((a, b) => a + b, 0) / full.length
      rows.push([fmt(rate), fmt(r.actors.load.planned), fmt(r.totals.requests), `${fmt(Math.min(...full))} / ${fmt(median(full))} / ${fmt(Math.max(...full))}`,
        `${fmt(((span - rate) / rate) * 100, 2)}%`, fmt(r.generator.dispatchLagMs.p99, 2), fmt(r.generator.sendLagMs.p99, 2), fmt(r.generator.cpuPercent), String(r.generator.saturated)])
      if (r.generator.reasons.length) reasons.push(`${fmt(rate)}/s: ${r.generator.reasons.join('; ')}`)
    } finally {
      await nginx.stop()
    }
  }
  printTable(rows)
  for (const line of reasons) console.log(`saturated at ${line}`)
}

/** coreList names cores first … last for taskset. */
function coreList(first, last) {
  return first === last ? String(first) : `${first}-${last}`
}

async function scaling() {
  const n = cpus().length
  const targetCores = Math.min(TARGET_CORES, n - 1)
  const left = n - targetCores
  const tcores = coreList(0, targetCores - 1)
  const gcores = coreList(targetCores, n - 1)
  const maxThreads = Math.max(2, left)
  console.log(`\n## 4. Scaling: closed loop, ${CONNS} connections, ${SECONDS} s, ${ROUNDS} rounds; nginx (${targetCores} worker${targetCores > 1 ? 's' : ''}) on cores ${tcores}, tools on cores ${gcores}\n`)
  if (left < 2) console.log(`This machine leaves ${left} core to the tools: scaling cannot be measured here. The rows with 2 threads share that one core (oversubscribed), for information only.\n`)
  const nginx = await startNginx(tcores, { workers: targetCores })
  const threads = Array.from({ length: maxThreads }, (_, i) => i + 1)
  const tools = {
    likebench: (u, t) => likebenchClosed(u, t, gcores),
    autocannon: (u, t) => autocannon(u, ['-w', String(t), '--warmup', '[', '-c', String(CONNS), '-d', '1', ']'], gcores),
    ...(has('wrk') ? { wrk: (u, t) => wrk(u, t, gcores) } : {}),
  }
  const results = {}
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of threads) {
        for (const [name, fn] of Object.entries(tools)) {
          ;(results[`${name} ${t}`] ??= []).push((await fn(nginx.url, t)).rps)
          await sleep(500)
        }
      }
    }
  } finally {
    await nginx.stop()
  }
  const rows = [['tool', 'threads', 'req/s (median)', 'min', 'max', '÷ its 1 thread', 'likebench ÷ tool']]
  for (const t of threads) {
    for (const name of Object.keys(tools)) {
      const rps = results[`${name} ${t}`]
      rows.push([name, `${t}${t > left ? ' (oversubscribed)' : ''}`, fmt(median(rps)), fmt(Math.min(...rps)), fmt(Math.max(...rps)),
        fmt(median(rps) / median(results[`${name} 1`]), 2), fmt(median(results[`likebench ${t}`]) / median(rps), 2)])
    }
  }
  printTable(rows)
  console.log('\nthreads: likebench --workers, autocannon -w (its worker threads split the connections), wrk -t')
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
  if (!ONLY || ONLY === 'scaling') await scaling()
}

await main()
