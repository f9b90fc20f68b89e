#!/usr/bin/env node
/**
 * transport: likebench's fast HTTP/1.1 path against its undici path and the peers, in one run.
 *
 *   npm run build && node bench/transport.js [--rounds 5] [--seconds 5] [--connections 50]
 *                                            [--tools likebench-fast,likebench-undici,autocannon,wrk,loop-fast,loop-undici]
 *
 * Closed loop, same connection count, no pipelining, against nginx (`return 204`, one worker)
 * pinned to core 0, each tool pinned to the last core, one tool after the other, rounds
 * interleaved; medians. Tools:
 *   likebench-fast    the CLI (organic reads, closed model, every request recorded), fast path
 *   likebench-undici  the same run with LIKEBENCH_TRANSPORT=undici
 *   autocannon        with a 1 s warm-up, as bench/engine.js runs it
 *   wrk               one thread
 *   loop-fast/-undici a bare Exchange loop on each transport, nothing recorded: the transport alone
 *   likebench-fast-net, loop-fast-net
 *                     the fast path over net.Socket (LIKEBENCH_FAST_SOCKET=net) rather than libuv's
 *                     TCP handle: the fallback, and the A/B for the raw handle (not run by default)
 *
 * The machine may be shared, so req/s moves with whatever else runs. CPU per request does
 * much less: it is the generator's CPU time (user + system, read from /proc/<pid>/stat every
 * 100 ms over its measured window; likebench's own generator.cpuPercent for the CLI) divided
 * by the requests it completed. Compare ratios within one run.
 *
 * Traffic goes only to 127.0.0.1; every run is bounded in time; only processes this script
 * started are stopped, by PID.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, arg, cores, fmt, has, likebench, machine, median, pinned, printTable, sleep, startNginx } from './lib.js'
import { spawn } from 'node:child_process'
import { loadavg } from 'node:os'

const ROUNDS = Number(arg('rounds', '5'))
const SECONDS = Number(arg('seconds', '5'))
const CONNS = Number(arg('connections', '50'))
const TOOLS = arg('tools', 'likebench-fast,likebench-undici,autocannon,wrk,loop-fast,loop-undici').split(',')
const [TARGET_CORE, GEN_CORE] = cores()
const AUTOCANNON = join(ROOT, 'node_modules/.bin/autocannon')
const SELF = new URL(import.meta.url).pathname
const TICK_MS = 10 // USER_HZ: /proc times are in 1/100 s on Linux

/** sampled runs a pinned command, reads its CPU time every 100 ms, and returns its output and CPU fraction over the last `window` ms before it exited. */
function sampled(cmd, args, { env = {}, windowMs = (SECONDS - 1) * 1000 } = {}) {
  const [c, a] = pinned(GEN_CORE, cmd, args)
  return new Promise((resolve) => {
    const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const samples = []
    const read = () => {
      try {
        const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ')
        samples.push([performance.now(), (Number(f[11]) + Number(f[12])) * TICK_MS])
      } catch {}
    }
    const poll = setInterval(read, 100)
    const kill = setTimeout(() => child.kill('SIGKILL'), 120_000)
    child.on('close', (code) => {
      clearInterval(poll)
      clearTimeout(kill)
      // The window ends 300 ms before exit (tear-down) and spans `windowMs` before that.
      const end = (samples.at(-1)?.[0] ?? 0) - 300
      const inWindow = samples.filter(([t]) => t >= end - windowMs && t <= end)
      const first = inWindow[0]
      const last = inWindow.at(-1)
      const cpu = first && last && last[0] > first[0] ? (last[1] - first[1]) / (last[0] - first[0]) : NaN
      resolve({ code, stdout, stderr, cpu })
    })
  })
}

function scenario(url) {
  return `target: { url: "${url}", connections: ${CONNS}, timeout: 5s, warmup: 1s }
integrity: { read: off }
users: { count: 1000 }
posts: { count: 100, pick: uniform }
actors:
  load: { kind: organic, readRatio: 100%, concurrency: ${CONNS}, for: ${SECONDS}s }
`
}

async function likebenchRun(url, transport) {
  const before = process.env.LIKEBENCH_TRANSPORT
  const beforeSocket = process.env.LIKEBENCH_FAST_SOCKET
  if (transport === 'undici') process.env.LIKEBENCH_TRANSPORT = 'undici'
  else delete process.env.LIKEBENCH_TRANSPORT
  if (transport === 'fast-net') process.env.LIKEBENCH_FAST_SOCKET = 'net'
  else delete process.env.LIKEBENCH_FAST_SOCKET
  try {
    const r = await likebench(scenario(url), GEN_CORE)
    const errors = Object.values(r.totals.errors ?? {}).reduce((a, b) => a + b, 0)
    return { rps: r.totals.rps, cpu: r.generator.cpuPercent / 100, errors }
  } finally {
    if (before === undefined) delete process.env.LIKEBENCH_TRANSPORT
    else process.env.LIKEBENCH_TRANSPORT = before
    if (beforeSocket === undefined) delete process.env.LIKEBENCH_FAST_SOCKET
    else process.env.LIKEBENCH_FAST_SOCKET = beforeSocket
  }
}

async function autocannon(url) {
  const r = await sampled(process.execPath, [AUTOCANNON, '-c', String(CONNS), '-d', String(SECONDS), '-j', '--warmup', '[', '-c', String(CONNS), '-d', '1', ']', url])
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{'))
  const j = JSON.parse(lines.at(-1))
  return { rps: j.requests.total / j.duration, cpu: r.cpu, errors: j.errors + j.timeouts + j.non2xx }
}

async function wrk(url) {
  const r = await sampled('wrk', ['-t1', `-c${CONNS}`, `-d${SECONDS}s`, url])
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0)
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]), cpu: r.cpu, errors }
}

async function loop(url, transport) {
  const r = await sampled(process.execPath, [SELF, '--loop', url, '--seconds', String(SECONDS), '--connections', String(CONNS)], {
    env: transport === 'undici' ? { LIKEBENCH_TRANSPORT: 'undici' } : transport === 'fast-net' ? { LIKEBENCH_FAST_SOCKET: 'net' } : {},
  })
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1))
  return { rps: j.rps, cpu: j.cpu, errors: j.errors }
}

/** runLoop is the child side of loop(): a bare closed loop of Exchanges on one pool; it prints req/s and its CPU fraction. */
async function runLoop(url) {
  const { createPool } = await import('../dist/transport/pool.js')
  const { Exchange } = await import('../dist/transport/send.js')
  const pool = createPool(url, { connections: CONNS, timeoutMs: 5000 })
  const req = { method: 'GET', path: '/v1/posts/1', headers: ['user-agent', 'likebench-bench', 'x-likebench-run', 'bench'] }
  let n = 0
  let errors = 0
  let counting = false
  let stop = false
  const next = (x) => {
    if (counting) {
      n++
      if (x.error !== null) errors++
    }
    if (!stop) x.start(pool, req)
  }
  for (let i = 0; i < CONNS; i++) new Exchange(next).start(pool, req)
  await sleep(1000) // warm-up, as the CLI and autocannon get
  counting = true
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await sleep((SECONDS - 1) * 1000)
  const cpu = process.cpuUsage(c0)
  const ms = performance.now() - t0
  counting = false
  stop = true
  console.log(JSON.stringify({ rps: (n / ms) * 1000, cpu: (cpu.user + cpu.system) / 1000 / ms, errors }))
  await pool.destroy()
}

const RUN = {
  'likebench-fast': (u) => likebenchRun(u, 'fast'),
  'likebench-undici': (u) => likebenchRun(u, 'undici'),
  'likebench-fast-net': (u) => likebenchRun(u, 'fast-net'),
  autocannon,
  wrk,
  'loop-fast': (u) => loop(u, 'fast'),
  'loop-undici': (u) => loop(u, 'undici'),
  'loop-fast-net': (u) => loop(u, 'fast-net'),
}

async function main() {
  if (!has('nginx')) {
    console.error('bench: nginx is not installed (apt-get install -y nginx)')
    process.exit(2)
  }
  const tools = TOOLS.filter((t) => RUN[t] && (t !== 'wrk' || has('wrk')))
  console.log(`# likebench transport benchmark — ${new Date().toISOString()} — ${machine()}`)
  console.log(`closed loop, ${CONNS} connections, ${SECONDS} s, ${ROUNDS} rounds; nginx on core ${TARGET_CORE}, tools on core ${GEN_CORE}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`)
  const results = Object.fromEntries(tools.map((k) => [k, []]))
  const nginx = await startNginx(TARGET_CORE)
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of tools) {
        const r = await RUN[name](nginx.url)
        results[name].push(r)
        console.log(`round ${round + 1} ${name.padEnd(16)} ${fmt(r.rps).padStart(8)} req/s  ${fmt((r.cpu * 1e6) / r.rps, 2).padStart(6)} µs CPU/req  cpu ${fmt(r.cpu * 100)}%  errors ${r.errors}`)
        await sleep(500)
      }
    }
  } finally {
    await nginx.stop()
  }
  const med = (name, f) => median(results[name].map(f))
  const rps = (name) => med(name, (x) => x.rps)
  const us = (name) => med(name, (x) => (x.cpu * 1e6) / x.rps)
  const rows = [['tool', 'req/s median', 'min', 'max', 'CPU µs/req', 'CPU %', 'req/s ÷ autocannon', 'req/s ÷ wrk', 'CPU/req ÷ autocannon']]
  for (const name of tools) {
    const all = results[name].map((x) => x.rps)
    const vs = (peer, f) => (results[peer] ? fmt(f(name) / f(peer), 2) : '-')
    rows.push([name, fmt(rps(name)), fmt(Math.min(...all)), fmt(Math.max(...all)), fmt(us(name), 2), fmt(med(name, (x) => x.cpu * 100)), vs('autocannon', rps), vs('wrk', rps), vs('autocannon', us)])
  }
  console.log('')
  printTable(rows)
  // Per-round ratios pair runs minutes apart rather than medians of different rounds: sturdier on a shared machine.
  const paired = (a, b, f) => median(results[a].map((x, i) => f(x) / f(results[b][i])))
  const perReq = (x) => x.cpu / x.rps
  console.log('')
  for (const [a, b] of [['likebench-fast', 'likebench-fast-net'], ['loop-fast', 'loop-fast-net'], ['likebench-fast', 'likebench-undici'], ['likebench-fast', 'autocannon'], ['likebench-fast', 'wrk'], ['loop-fast', 'loop-undici'], ['loop-fast', 'autocannon'], ['loop-fast', 'wrk']]) {
    if (!results[a] || !results[b]) continue
    console.log(`${a} ÷ ${b}: req/s ${fmt(rps(a) / rps(b), 2)}× (per-round median ${fmt(paired(a, b, (x) => x.rps), 2)}×), CPU per request ${fmt(us(a) / us(b), 2)}× (per-round ${fmt(paired(a, b, perReq), 2)}×)`)
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`)
}

const loopUrl = arg('loop', '')
if (loopUrl) await runLoop(loopUrl)
else await main()
