/**
 * The reference like-API (DESIGN.md section 6) on node:http: routing and handlers. Sound by
 * default; each flaw in `config.flaws` changes exactly one behaviour. A like passes, in
 * order: body size (413), per-IP limit (429), auth (401), per-user limit (429), post id
 * (400/404), body JSON (400), then the store. Reads are not rate-limited, so that the
 * integrity read-back of a run never competes with its own traffic for quota.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ArrivalLog, hrtimeMs } from './arrivals.js'
import {
  declaresBody, declaresTooLarge, forwardedIp, isJson, readBody, sendError, sendJson, socketIp, TOO_LARGE,
} from './http.js'
import { createLimiter, wallClock, type Clock, type Limiter } from './limiter.js'
import type { Flaws, TargetConfig } from './options.js'
import { policyItem, quotaHeaders, type Checked } from './quota.js'
import { LikeStore } from './store.js'
import { claimedUser, TokenVerifier } from './token.js'

/** TargetServer is a reference like-API bound to one configuration: listen, then close. */
export interface TargetServer {
  readonly server: Server
  readonly config: TargetConfig
  readonly store: LikeStore
  /** listen binds `host:port` (port 0 picks a free one) and resolves with the base URL. */
  listen(port?: number, host?: string): Promise<string>
  /** close stops accepting, drops idle keep-alive connections, gives requests in flight a second, and resolves once closed. */
  close(): Promise<void>
}

/** TargetServerOptions are test hooks: the limiters' clock. */
export interface TargetServerOptions {
  clock?: Clock
}

const CANONICAL_ID = /^(?:0|[1-9][0-9]{0,15})$/

/** parsePostId reads a path segment as a post id: a canonical decimal integer, else NaN (or a throw under crash-on-bad-id). */
export function parsePostId(segment: string, crashOnBadId: boolean): number {
  if (CANONICAL_ID.test(segment)) return Number(segment)
  // The planted bug: the id goes straight into code that assumes it is numeric.
  if (crashOnBadId) throw new TypeError(`Cannot convert ${JSON.stringify(segment)} to a post id`)
  return Number.NaN
}

/** createTargetServer builds the server for `config`; nothing listens until `listen` is called. */
export function createTargetServer(config: TargetConfig, options: TargetServerOptions = {}): TargetServer {
  const api = new LikeApi(config, options.clock ?? wallClock)
  const server = createServer((req, res) => api.onRequest(req, res))
  const stall = config.flaws.stall && startStalls(config.flaws.stall.everyMs, config.flaws.stall.forMs)
  return {
    server,
    config,
    store: api.store,
    listen: (port = 0, host = '127.0.0.1') => listen(server, port, host),
    close: () => {
      if (stall) clearInterval(stall)
      return close(server)
    },
  }
}

/** A like or unlike that passed every check but the body: who, which post, and the limiters it went through. */
interface Admitted {
  user: string
  post: number
  checked: Checked[]
}

/** LikeApi holds the state of one reference like-API and answers its requests. */
class LikeApi {
  readonly store: LikeStore
  private readonly flaws: Flaws
  private readonly verifier: TokenVerifier
  private readonly ipLimiter: Limiter | undefined
  private readonly userLimiter: Limiter | undefined
  private readonly policies = new Map<Limiter, string>()
  private readonly arrivals: ArrivalLog | undefined

  constructor(config: TargetConfig, clock: Clock) {
    const { flaws, rateLimits } = config
    this.flaws = flaws
    this.store = new LikeStore(config.posts, flaws.racyDedupe ? 'racy' : flaws.noDedupe ? 'none' : 'atomic', config.latency)
    this.verifier = new TokenVerifier(config.secret)
    this.ipLimiter = rateLimits.ip && createLimiter(rateLimits.ip, flaws.fixedWindow, clock)
    this.userLimiter = rateLimits.user && createLimiter(rateLimits.user, flaws.fixedWindow, clock)
    for (const l of [this.ipLimiter, this.userLimiter]) if (l) this.policies.set(l, policyItem(l))
    this.arrivals = config.debugArrivals ? new ArrivalLog() : undefined
  }

  /** onRequest is the server's 'request' listener; a handler that throws answers 500. */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    // 'request' fires once the headers are parsed: the moment the target "sees" a request.
    if (this.arrivals) {
      const run = req.headers['x-likebench-run']
      const group = req.headers['x-likebench-group']
      if (typeof run === 'string') this.arrivals.record(run, hrtimeMs(), typeof group === 'string' ? group : undefined)
    }
    this.route(req, res).catch(() => {
      if (res.headersSent) res.destroy()
      else sendError(res, 500, 'internal', 'internal error')
    })
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q < 0 ? url : url.slice(0, q)
    const method = req.method ?? 'GET'
    if (path.startsWith('/v1/posts/')) {
      const rest = path.slice('/v1/posts/'.length)
      const slash = rest.indexOf('/')
      if (slash < 0) return method === 'GET' ? this.readPost(res, rest) : notAllowed(res, 'GET')
      if (rest.slice(slash) !== '/likes') return sendError(res, 404, 'not_found', 'no such route')
      if (method !== 'POST' && method !== 'DELETE') return notAllowed(res, 'POST, DELETE')
      return this.likeOrUnlike(req, res, rest.slice(0, slash))
    }
    if (path === '/healthz') return method === 'GET' ? sendJson(res, 200, '{"ok":true}') : notAllowed(res, 'GET')
    if (path === '/debug/arrivals' && this.arrivals) {
      return method === 'GET' ? this.debugArrivals(res, this.arrivals, q < 0 ? '' : url.slice(q + 1)) : notAllowed(res, 'GET')
    }
    sendError(res, 404, 'not_found', 'no such route')
  }

  private async likeOrUnlike(req: IncomingMessage, res: ServerResponse, segment: string): Promise<void> {
    const ok = this.check(req, res, segment)
    if (ok === undefined) return
    const quota = (): string[] => quotaHeaders([], ok.checked, this.policies)
    if (declaresBody(req)) {
      const body = await readBody(req)
      if (body === TOO_LARGE) return sendError(res, 413, 'too_large', 'bodies are limited to 16 KiB')
      if (body !== '' && !isJson(body)) return sendError(res, 400, 'bad_json', 'the body is not JSON', quota())
    }
    const like = req.method === 'POST'
    const r = like ? await this.store.like(ok.post, ok.user) : await this.store.unlike(ok.post, ok.user)
    sendJson(res, like && r.changed ? 201 : 200, `{"liked":${r.liked},"likes":${r.likes}}`, quota())
  }

  /** Runs the checks before the body, in the documented order; answers and returns undefined on the first that fails. */
  private check(req: IncomingMessage, res: ServerResponse, segment: string): Admitted | undefined {
    if (declaresTooLarge(req)) return void sendError(res, 413, 'too_large', 'bodies are limited to 16 KiB')
    const checked: Checked[] = []
    if (!this.admit(this.ipLimiter, this.clientIp(req), checked, res)) return
    const user = this.authenticate(req)
    if (user === undefined) {
      const headers = quotaHeaders(['WWW-Authenticate', 'Bearer'], checked, this.policies)
      return void sendError(res, 401, 'unauthorized', 'send Authorization: Bearer <user>.<signature>', headers)
    }
    if (!this.admit(this.userLimiter, user, checked, res)) return
    const post = parsePostId(segment, this.flaws.crashOnBadId)
    const quota = (): string[] => quotaHeaders([], checked, this.policies)
    if (Number.isNaN(post)) return void sendError(res, 400, 'bad_id', 'post ids are whole numbers', quota())
    if (!this.store.exists(post)) return void sendError(res, 404, 'no_post', 'no such post', quota())
    return { user, post, checked }
  }

  private clientIp(req: IncomingMessage): string {
    return (this.flaws.trustForwarded && forwardedIp(req)) || socketIp(req)
  }

  private authenticate(req: IncomingMessage): string | undefined {
    const auth = req.headers.authorization
    const token = auth !== undefined && /^bearer /i.test(auth) ? auth.slice(7).trim() : undefined
    if (this.flaws.noAuth) return (token !== undefined && claimedUser(token)) || 'anonymous'
    return token === undefined ? undefined : this.verifier.verify(token)
  }

  /** Applies one limiter; on a refusal answers 429 and returns false. */
  private admit(limiter: Limiter | undefined, key: string, checked: Checked[], res: ServerResponse): boolean {
    if (limiter === undefined) return true
    const decision = limiter.take(key)
    checked.push({ limiter, decision })
    if (decision.allowed) return true
    const body = JSON.stringify({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      title: 'Too Many Requests',
      'violated-policies': [limiter.spec.key],
    })
    const headers = quotaHeaders(['Content-Type', 'application/problem+json'], checked, this.policies)
    res.writeHead(429, headers.concat('Content-Length', String(Buffer.byteLength(body))))
    res.end(body)
    return false
  }

  private async readPost(res: ServerResponse, segment: string): Promise<void> {
    const post = parsePostId(segment, this.flaws.crashOnBadId)
    if (Number.isNaN(post)) return sendError(res, 400, 'bad_id', 'post ids are whole numbers')
    if (!this.store.exists(post)) return sendError(res, 404, 'no_post', 'no such post')
    sendJson(res, 200, `{"id":${post},"likes":${await this.store.read(post)}}`)
  }

  private debugArrivals(res: ServerResponse, log: ArrivalLog, query: string): void {
    const run = new URLSearchParams(query).get('run')
    if (!run) return sendError(res, 400, 'no_run', 'give the run id: /debug/arrivals?run=<id>')
    sendJson(res, 200, JSON.stringify({ run, clock: 'hrtime-ms', ...log.arrivalsOf(run) }))
  }
}

function notAllowed(res: ServerResponse, allow: string): void {
  sendError(res, 405, 'method_not_allowed', `use ${allow}`, ['Allow', allow])
}

/**
 * The stall flaw: every `everyMs` the event loop is blocked for `forMs`, like a
 * stop-the-world GC. Atomics.wait on a buffer nobody notifies sleeps without burning CPU.
 */
function startStalls(everyMs: number, forMs: number): NodeJS.Timeout {
  const cell = new Int32Array(new SharedArrayBuffer(4))
  const timer = setInterval(() => Atomics.wait(cell, 0, 0, forMs), everyMs)
  timer.unref()
  return timer
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const addr = server.address() as AddressInfo
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      resolve(`http://${h}:${addr.port}`)
    })
  })
}

/** Closes gracefully: idle keep-alive sockets go at once, requests in flight get `graceMs` to finish. */
function close(server: Server, graceMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    const force = setTimeout(() => server.closeAllConnections(), graceMs)
    server.close(() => {
      clearTimeout(force)
      resolve()
    })
    server.closeIdleConnections()
  })
}
