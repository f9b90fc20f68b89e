/**
 * Shared plumbing for the benchmarks: an nginx on loopback pinned to one core, commands run
 * pinned to another, likebench runs from scenario text, and small statistics. Everything
 * sends only to 127.0.0.1, is bounded in time, and stops only the processes it started.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const BIN = join(ROOT, 'bin/likebench')

/** arg reads `--name value` from the command line. */
export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback
}

/** has says whether a command is on the PATH. */
export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0
}

/** cores returns [targetCore, generatorCore]: the target on core 0, tools on the last core. */
export function cores() {
  const n = cpus().length
  return n >= 2 ? ['0', String(n - 1)] : ['0', '0']
}

/** pinned prefixes a command with taskset when available. */
export function pinned(core, cmd, args) {
  return has('taskset') ? ['taskset', ['-c', core, cmd, ...args]] : [cmd, args]
}

/** run runs a command to completion (killed after `timeoutMs`) and returns its output. */
export function run(cmd, args, { timeoutMs = 120_000, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** startNginx starts nginx (`return 204`, `workers` worker processes, one by default, no access log) on a free port, pinned to `core` (a taskset list). */
export async function startNginx(core, { workers = 1 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'likebench-nginx-'))
  const port = 20000 + Math.floor(Math.random() * 20000)
  writeFileSync(join(dir, 'nginx.conf'), `
worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { return 204; }
  }
}`)
  const [cmd, args] = pinned(core, 'nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir])
  const master = spawn(cmd, args, { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    await sleep(50)
    const r = spawnSync('pgrep', ['-P', String(master.pid)])
    const worker = Number(r.stdout.toString().trim().split('\n')[0])
    if (worker) {
      return {
        url: `http://127.0.0.1:${port}`,
        worker,
        stop: async () => {
          master.kill('SIGQUIT')
          await Promise.race([new Promise((r) => master.on('exit', r)), sleep(3000)])
          if (master.exitCode === null) master.kill('SIGKILL')
          rmSync(dir, { recursive: true, force: true })
        },
      }
    }
  }
  master.kill('SIGKILL')
  throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`)
}

/** likebench runs a scenario (YAML text) with the CLI pinned to `core` and returns its result document. */
export async function likebench(yaml, core, extra = []) {
  const dir = mkdtempSync(join(tmpdir(), 'likebench-bench-'))
  const file = join(dir, 's.yaml')
  const out = join(dir, 'result.json')
  writeFileSync(file, yaml)
  const [cmd, args] = pinned(core, process.execPath, [BIN, 'run', file, '--out', out, '-q', ...extra])
  const r = await run(cmd, args)
  try {
    return JSON.parse(readFileSync(out, 'utf8'))
  } catch {
    throw new Error(`likebench wrote no result (exit ${r.code}): ${r.stderr}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** sleep waits `ms`. */
export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms))
}

/** median returns the median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN
}

/** fmt renders a number for a table. */
export function fmt(n, digits = 0) {
  return n === undefined || n === null || Number.isNaN(n) ? '-' : Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
}

/** printTable prints rows as aligned columns. */
export function printTable(rows) {
  const w = []
  for (const r of rows) r.forEach((c, i) => (w[i] = Math.max(w[i] ?? 0, String(c).length)))
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  '))
}

/** machine describes where the figures came from. */
export function machine() {
  const c = cpus()
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, node ${process.version}`
}
