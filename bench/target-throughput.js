#!/usr/bin/env node
/**
 * target-throughput: how many likes/s the built-in reference like-API sustains on one core.
 *
 *   npm run build && node bench/target-throughput.js [--duration 10s] [--connections 64] [--users 10000]
 *
 * Starts `likebench serve` pinned to core 0 (taskset -c 0) and drives it with wrk pinned to
 * core 1, with a Lua script that POSTs likes with valid tokens for many users over many
 * posts. Two measured runs, each after a warm-up:
 *   roomy   defenses on (auth, dedupe, validation, limiters) with limits raised so nothing
 *           is throttled: the server's own work per like;
 *   limited the default limits, which the traffic blows through: how fast it says 429.
 * Needs wrk (apt-get install wrk) and taskset. Sends only to 127.0.0.1; every run is bounded
 * by wrk's -d and a kill timer; only processes this script started are stopped, by PID.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SECRET = 'bench-secret'
const POSTS = 10_000

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}

const opts = {
  duration: arg('duration', '10s'),
  warmup: arg('warmup', '3s'),
  connections: Number(arg('connections', '64')),
  users: Number(arg('users', '10000')),
}

function need(cmd) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench: ${cmd} is not installed (apt-get install -y ${cmd === 'taskset' ? 'util-linux' : cmd})`)
    process.exit(2)
  }
}

/** Writes the wrk Lua script: a random user (with a valid token) likes a random post. */
async function writeLua(dir) {
  const { signToken } = await import(join(ROOT, 'dist/target/token.js'))
  const tokens = Array.from({ length: opts.users }, (_, i) => `"Bearer ${signToken(SECRET, `u${i + 1}`)}"`)
  const lua = `
local tokens = { ${tokens.join(',')} }
local n = #tokens
local headers = { ["Content-Length"] = "0" }
math.randomseed(os.time())
request = function()
  headers["Authorization"] = tokens[math.random(n)]
  return wrk.format("POST", "/v1/posts/" .. math.random(${POSTS}) .. "/likes", headers, nil)
end
`
  const file = join(dir, 'likes.lua')
  writeFileSync(file, lua)
  return file
}

/** A bare node:http server answering every request with a like's JSON: the ceiling of node:http on this machine. */
const BARE = `const s = require('node:http').createServer((q, r) => {
  r.writeHead(201, ['Content-Type', 'application/json', 'Content-Length', '24']); r.end('{"liked":true,"likes":1}') })
s.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + s.address().port))
process.on('SIGTERM', () => s.close(() => process.exit(0)))`

/** Starts `likebench serve` (or the bare server when rateLimits is null) on core 0; resolves with its URL and process. */
function startServer(rateLimits) {
  const server = rateLimits === null
    ? ['-e', BARE]
    : [join(ROOT, 'bin/likebench'), 'serve', '--port', '0', '--secret', SECRET, '--posts', String(POSTS),
        ...rateLimits.flatMap((r) => ['--rate-limit', r])]
  // taskset execs node, so child.pid is the server's own PID (for /proc/PID/stat and for stopping it).
  const child = spawn('taskset', ['-c', '0', process.execPath, ...server], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('the server did not start within 10s')), 10_000)
    child.stdout.on('data', (c) => {
      out += c
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ url: m[1], child })
      }
    })
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before it listened`)))
  })
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

/** Runs wrk on core 1 for `duration` and parses what it prints. */
function wrk(url, lua, duration) {
  const seconds = parseFloat(duration)
  const res = spawnSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${opts.connections}`, `-d${duration}`, '--latency', '-s', lua, url], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000, // wrk's own -d bounds the run; this bounds wrk
  })
  if (res.status !== 0) throw new Error(`wrk failed: ${res.stderr || res.error}`)
  const text = res.stdout
  const num = (re) => {
    const m = re.exec(text)
    return m ? Number(m[1]) : 0
  }
  const requests = num(/(\d+) requests in/)
  const secs = num(/requests in ([\d.]+)s/) || seconds
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/)
  const pct = (p) => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text)
    if (!m) return NaN
    return Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]]
  }
  return {
    requestsPerSec: Math.round(requests / secs),
    okPerSec: Math.round((requests - non2xx) / secs),
    non2xxPerSec: Math.round(non2xx / secs),
    errors: num(/Socket errors: connect (\d+)/) + num(/read (\d+)/) + num(/timeout (\d+)/),
    p50: pct(50), p90: pct(90), p99: pct(99),
    raw: text,
  }
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK // utime and stime, fields 14 and 15 of stat(5)
}

async function measure(name, rateLimits, lua) {
  const { url, child } = await startServer(rateLimits)
  try {
    wrk(url, lua, opts.warmup)
    const cpu0 = cpuSeconds(child.pid)
    const r = wrk(url, lua, opts.duration)
    const cpu = cpuSeconds(child.pid) - cpu0
    // Requests per CPU-second of the server: what one core sustains, even when other processes share core 0.
    const perCpuSecond = Math.round((r.requestsPerSec * parseFloat(opts.duration)) / cpu)
    return { name, limits: rateLimits === null ? '(bare node:http, no logic)' : rateLimits.join(' ') || 'defaults', perCpuSecond, cpu, ...r }
  } finally {
    await stopServer(child)
  }
}

async function main() {
  need('wrk')
  need('taskset')
  if (!existsSync(join(ROOT, 'dist/target/token.js'))) {
    console.error('bench: run npm run build first')
    process.exit(2)
  }
  const dir = mkdtempSync(join(tmpdir(), 'likebench-bench-'))
  try {
    const lua = await writeLua(dir)
    console.error(`target-throughput: server on core 0, wrk -t1 -c${opts.connections} on core 1, ${opts.duration} per run, ` +
      `${opts.users} users × ${POSTS} posts`)
    const runs = [
      await measure('bare', null, lua),
      await measure('roomy', ['user=1000000/1s', 'ip=100000000/1s'], lua),
      await measure('limited', [], lua),
    ]
    const cols = (...c) => c.map((v, i) => String(v)[i < 2 ? 'padEnd' : 'padStart'](i === 0 ? 8 : i === 1 ? 40 : 9)).join(' ')
    console.log('\n' + cols('run', 'limits', 'req/s', '2xx/s', '429/s', 'req/cpu-s', 'p50 ms', 'p90 ms', 'p99 ms', 'sock errs'))
    for (const r of runs) {
      console.log(cols(r.name, r.limits, r.requestsPerSec, r.okPerSec, r.non2xxPerSec, r.perCpuSecond,
        r.p50.toFixed(2), r.p90.toFixed(2), r.p99.toFixed(2), r.errors))
    }
    console.log(`\nload average while measuring: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (other work on core 0 lowers req/s, not req/cpu-s)`)
    if (process.argv.includes('--raw')) for (const r of runs) console.log(`\n--- ${r.name}\n${r.raw}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
