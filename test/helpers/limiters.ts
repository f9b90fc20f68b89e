/**
 * Rate limiters likebench did not write, as loopback targets for the oracle's estimator:
 * rate-limiter-flexible (npm) inside a node:http server in this process, and nginx's
 * `limit_req` in front of such a server when nginx is installed. Both key on the
 * Authorization header, so each generated user is one key, and answer 201 or 429.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible'
import { startServer, type TestServer } from './servers.js'

/** flexibleServer answers likes through a RateLimiterMemory of `points` per `durationS` per Authorization header. */
export async function flexibleServer(points: number, durationS: number): Promise<TestServer> {
  const limiter = new RateLimiterMemory({ points, duration: durationS })
  return startServer((req, res) => {
    if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"likes":0}')
    limiter.consume(String(req.headers.authorization)).then(
      (r: RateLimiterRes) => res.writeHead(201, { 'x-ratelimit-remaining': String(r.remainingPoints) }).end('{"liked":true}'),
      (r: unknown) => {
        const wait = r instanceof RateLimiterRes ? Math.max(1, Math.ceil(r.msBeforeNext / 1000)) : 1
        res.writeHead(429, { 'retry-after': String(wait) }).end()
      },
    )
  })
}

/** hasNginx says whether an nginx binary is on the PATH. */
export function hasNginx(): boolean {
  return spawnSync('which', ['nginx']).status === 0
}

/** Nginx is a running nginx master process (started by the test, stopped by its PID). */
export interface Nginx {
  origin: string
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** startNginx runs nginx with `limit_req zone=… rate=<rate> burst=<burst> nodelay` keyed by Authorization, proxying to `upstream`. */
export async function startNginx(upstream: string, rate: string, burst: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'lb-nginx-'))
  const port = await freePort()
  const conf = join(dir, 'nginx.conf')
  const tmp = (name: string) => `${name} ${join(dir, name)};`
  writeFileSync(conf, `
daemon off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http {
  access_log off;
  ${tmp('client_body_temp_path')} ${tmp('proxy_temp_path')} ${tmp('fastcgi_temp_path')} ${tmp('uwsgi_temp_path')} ${tmp('scgi_temp_path')}
  limit_req_zone $http_authorization zone=users:1m rate=${rate};
  upstream app { server ${new URL(upstream).host}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location / {
      limit_req zone=users burst=${burst} nodelay;
      limit_req_status 429;
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`)
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: 'ignore' })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM')
    await exited
  }
  for (let waited = 0; ; waited += 50) {
    if (await connects(port)) break
    if (child.exitCode !== null || waited > 5000) {
      await stop()
      let log = ''
      try { log = readFileSync(join(dir, 'error.log'), 'utf8') } catch { /* none */ }
      throw new Error(`nginx did not start: ${log}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return { origin: `http://127.0.0.1:${port}`, stop }
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1')
    s.once('connect', () => (s.destroy(), resolve(true)))
    s.once('error', () => resolve(false))
  })
}
