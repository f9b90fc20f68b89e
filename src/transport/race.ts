/**
 * Race bursts: last-byte synchronisation over raw HTTP/1.1 keep-alive sockets (abuse.md §1.2,
 * §8.2). undici cannot hold back part of a request, so a burst has sockets of its own: one per
 * request, each request written but its final byte, a short settle so the target has parsed
 * the prefixes, then every final byte written in one synchronous loop. Connections have
 * TCP_NODELAY, are reused by later bursts (warm sockets halve the spread in Kettle's
 * benchmark) and are replaced once idle past the target's keep-alive timeout. Responses are
 * read by transport/http1.ts's parser (shared with the fast transport) and reported as the
 * Outcome transport/send.ts reports. Times are performance.now() ms; a request's `sentAt` is
 * the write of its final byte (of its prefix, when the target answered before the release).
 */
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { classify, type ErrorKind } from './classify.js'
import { FAILED, NEED_MORE, ResponseParser as HttpParser, TransportError, type ResponseSink } from './http1.js'
import type { Outcome, SendRequest } from './send.js'

/** RaceOptions configure a RaceClient. */
export interface RaceOptions {
  /** Bounds connecting, and each request from its pre-send to its last response byte (plus the settle). */
  timeoutMs: number
  /** Bind the connections to this local address (e.g. 127.0.0.3), as the pools do for `ips.via: source`. */
  localAddress?: string
  /** Pause between the last prefix written and the release, so the target has parsed every prefix (default 10 ms). */
  settleMs?: number
  /** Idle time after which a kept connection is replaced, when the target does not announce its keep-alive timeout (default 4 s). */
  idleMs?: number
}

/** RaceCallback receives request i's outcome; it runs exactly once per request of a burst. */
export type RaceCallback = (i: number, r: Outcome) => void

/** DEFAULT_SETTLE_MS is the pause before a release: enough for a loopback target to parse every prefix. */
export const DEFAULT_SETTLE_MS = 10
/** MAX_IDLE bounds the warm connections kept between bursts. */
const MAX_IDLE = 256

/** RaceClient sends last-byte-synchronised bursts to one origin from one source address. */
export class RaceClient {
  private readonly idle: Conn[] = []
  private readonly live = new Set<Conn>()
  private readonly host: string
  private readonly port: number
  private readonly hostHeader: string
  private bursts = 0
  /** Set by close(): later bursts fail as aborted. */
  closed = false

  constructor(origin: string, readonly opts: RaceOptions) {
    const url = new URL(origin)
    if (url.protocol !== 'http:') throw new Error(`race bursts speak plain HTTP/1.1; ${url.protocol} is not supported`)
    this.host = url.hostname.replace(/^\[|\]$/g, '')
    this.port = Number(url.port || 80)
    this.hostHeader = url.host
  }

  /** burst sends `reqs` as one race; `cb(i, outcome)` runs once per request, however it ends. It never throws. */
  burst(reqs: readonly SendRequest[], cb: RaceCallback): void {
    void this.run(reqs, cb)
  }

  /** warm opens connections until `n` are idle and ready, so the first burst does not pay for handshakes. */
  async warm(n: number): Promise<void> {
    const opened = await Promise.all(Array.from({ length: Math.max(0, n - this.idle.length) }, () => this.open()))
    for (const c of opened) if (typeof c !== 'string') this.park(c)
  }

  /** close destroys every connection; requests still out end as aborted. */
  async close(): Promise<void> {
    this.closed = true
    for (const c of [...this.live]) c.abort()
    this.idle.length = 0
  }

  private async run(reqs: readonly SendRequest[], cb: RaceCallback): Promise<void> {
    const n = reqs.length
    const t0 = performance.now()
    const fail = (i: number, error: ErrorKind) => cb(i, { status: 0, error, sentAt: t0, endedAt: performance.now(), bytes: 0, body: undefined })
    if (this.closed) return reqs.forEach((_, i) => fail(i, 'aborted'))
    const bytes: Buffer[] = []
    try {
      // Copies that are the same object share their bytes.
      for (let i = 0; i < n; i++) bytes.push(i > 0 && reqs[i] === reqs[i - 1] ? bytes[i - 1]! : serialize(reqs[i]!, this.hostHeader))
    } catch {
      return reqs.forEach((_, i) => fail(i, 'other')) // e.g. a header value with a line break: undici refuses those too
    }
    const conns = await this.acquire(n)
    if (this.closed) {
      for (const c of conns) if (typeof c !== 'string') c.destroy()
      return reqs.forEach((_, i) => fail(i, 'aborted'))
    }
    const writes: Array<Promise<void>> = []
    for (let i = 0; i < n; i++) {
      const c = conns[i]!
      if (typeof c === 'string') fail(i, this.closed ? 'aborted' : c)
      else writes.push(c.begin(i, cb, bytes[i]!, reqs[i]!))
    }
    await Promise.all(writes)
    await sleep(this.opts.settleMs ?? DEFAULT_SETTLE_MS)
    const ready: Conn[] = []
    for (const c of conns) if (typeof c !== 'string' && c.pending) ready.push(c)
    // The release: no await, no allocation, one write per socket. The order rotates from
    // burst to burst so no connection is always first.
    const m = ready.length
    const rot = this.bursts++ % Math.max(1, m)
    for (let k = 0; k < m; k++) ready[(k + rot) % m]!.release()
  }

  private async acquire(n: number): Promise<Array<Conn | ErrorKind>> {
    const out: Array<Conn | ErrorKind> = []
    const now = performance.now()
    while (out.length < n && this.idle.length > 0) {
      const c = this.idle.pop()!
      if (c.freshAt(now)) out.push(c)
      else c.destroy()
    }
    if (out.length < n) out.push(...(await Promise.all(Array.from({ length: n - out.length }, () => this.open()))))
    return out
  }

  private open(): Promise<Conn | ErrorKind> {
    return new Promise((resolve) => {
      const socket = connect({
        host: this.host, port: this.port, noDelay: true, keepAlive: true,
        ...(this.opts.localAddress === undefined ? {} : { localAddress: this.opts.localAddress }),
      })
      const timer = setTimeout(() => {
        socket.destroy()
        resolve('timeout')
      }, this.opts.timeoutMs)
      socket.once('connect', () => {
        clearTimeout(timer)
        socket.off('error', onError)
        if (this.closed) {
          socket.destroy()
          return resolve('aborted')
        }
        const c = new Conn(socket, this)
        this.live.add(c)
        resolve(c)
      })
      const onError = (err: Error) => {
        clearTimeout(timer)
        resolve(classify(err))
      }
      socket.once('error', onError)
    })
  }

  /** park keeps a connection that finished its request for the next burst. */
  park(c: Conn): void {
    if (this.closed || this.idle.length >= MAX_IDLE) return c.destroy()
    this.idle.push(c)
  }

  /** forget drops a closed connection. */
  forget(c: Conn): void {
    this.live.delete(c)
    const i = this.idle.indexOf(c)
    if (i >= 0) this.idle.splice(i, 1)
  }
}

/** Conn is one raw connection carrying at most one request at a time. */
class Conn {
  private readonly parser = new ResponseParser()
  private index = -1
  private cb: RaceCallback | null = null
  private last: Buffer | null = null
  private sentAt = 0
  private timer: NodeJS.Timeout | undefined = undefined
  private idleSince = performance.now()
  private socketError: ErrorKind | null = null
  private written: (() => void) | null = null

  constructor(
    private readonly socket: Socket,
    private readonly client: RaceClient,
  ) {
    socket.on('data', this.onData)
    socket.on('error', this.onError)
    socket.on('close', this.onClose)
  }

  /** pending says the request is pre-sent and waits for its release. */
  get pending(): boolean {
    return this.cb !== null && this.last !== null
  }

  /** freshAt says the connection may still be reused at `now` (the target has not timed it out). */
  freshAt(now: number): boolean {
    const idleMs = this.parser.keepAliveMs > 0 ? this.parser.keepAliveMs - 1000 : (this.client.opts.idleMs ?? 4000)
    return !this.socket.destroyed && now - this.idleSince < idleMs
  }

  /** begin writes all of `bytes` but the final byte; it resolves once the prefix is handed to the kernel. */
  begin(i: number, cb: RaceCallback, bytes: Buffer, req: SendRequest): Promise<void> {
    this.index = i
    this.cb = cb
    this.last = bytes.subarray(bytes.length - 1)
    this.parser.reset(req.readBody ?? 0, req.method === 'HEAD')
    this.sentAt = performance.now()
    const { timeoutMs, settleMs = DEFAULT_SETTLE_MS } = this.client.opts
    this.timer = setTimeout(this.onTimeout, timeoutMs + settleMs)
    return new Promise((resolve) => {
      this.written = resolve
      this.socket.write(bytes.subarray(0, bytes.length - 1), this.onWritten)
    })
  }

  private readonly onWritten = (): void => {
    const w = this.written
    this.written = null
    w?.()
  }

  /** release writes the final byte: the moment the request is sent. */
  release(): void {
    this.sentAt = performance.now()
    const last = this.last!
    this.last = null
    this.socket.write(last)
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.cb === null) return this.destroy() // bytes nobody asked for: the connection is not trustworthy
    let done: boolean
    try {
      done = this.parser.push(chunk)
    } catch {
      return this.finish('protocol')
    }
    if (done) this.finish(null)
  }

  private readonly onError = (err: Error): void => void (this.socketError = classify(err))

  private readonly onClose = (): void => {
    this.client.forget(this)
    if (this.cb === null) return
    // A body delimited by the close is complete now; anything else was cut off.
    this.finish(this.socketError === null && this.parser.endOfStream() ? null : (this.socketError ?? 'reset'))
  }

  private readonly onTimeout = (): void => void (this.cb !== null && this.finish('timeout'))

  private finish(error: ErrorKind | null): void {
    clearTimeout(this.timer)
    this.onWritten()
    const cb = this.cb!
    const p = this.parser
    const out: Outcome = { status: p.status, error, sentAt: this.sentAt, endedAt: performance.now(), bytes: p.bytes, body: error === null ? p.text() : undefined }
    // Answered before its release, the request's final byte is still held back: never reuse that connection.
    const early = this.last !== null
    this.cb = null
    this.last = null
    if (error !== null || early || !p.keepAlive || this.socket.destroyed) this.destroy()
    else {
      this.idleSince = out.endedAt
      this.client.park(this)
    }
    cb(this.index, out)
  }

  /** abort ends the connection; a request still out ends as aborted, before abort returns. */
  abort(): void {
    if (this.cb !== null) this.finish('aborted')
    else this.destroy()
  }

  /** destroy closes the socket (its close handler reports a request still out). */
  destroy(): void {
    this.client.forget(this)
    this.socket.destroy()
  }
}

// --- the bytes: a request serializer and a minimal HTTP/1.1 response parser ---

/** RACE_MAX_HEAD bounds a response head: more generous than the fast transport's 16 KiB, as it always was here. */
const RACE_MAX_HEAD = 64 * 1024
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const SET_BY_US = new Set(['host', 'content-length', 'transfer-encoding'])

/** serialize renders `req` as HTTP/1.1 bytes with an explicit Content-Length (never chunked); it throws on a line break in the path or a header. */
export function serialize(req: SendRequest, host: string): Buffer {
  if (/[\s]/.test(req.path)) throw new Error('the path contains whitespace')
  let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${host}\r\n`
  const h = req.headers
  if (Array.isArray(h)) for (let i = 0; i + 1 < h.length; i += 2) head += headerLine(h[i]!, h[i + 1]!)
  else if (h) for (const [k, v] of Object.entries(h)) head += headerLine(k, v)
  const body = req.body == null ? null : typeof req.body === 'string' ? Buffer.from(req.body) : req.body
  if (body !== null || req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') head += `content-length: ${body?.length ?? 0}\r\n`
  const bytes = Buffer.from(`${head}\r\n`, 'latin1')
  return body === null ? bytes : Buffer.concat([bytes, body])
}

function headerLine(name: string, value: string): string {
  if (!TOKEN.test(name) || /[\r\n\0]/.test(value)) throw new Error(`header ${JSON.stringify(name)} cannot be sent as is`)
  return SET_BY_US.has(name.toLowerCase()) ? '' : `${name}: ${value}\r\n`
}

/**
 * ResponseParser reads one HTTP/1.1 response at a time for a race connection: transport/
 * http1.ts's parser (shared with the fast transport) underneath, counting body bytes and
 * keeping up to `cap` of them; bytes that are not HTTP throw.
 */
export class ResponseParser implements ResponseSink {
  /** Body bytes received (decoded, for a chunked body). */
  bytes = 0
  /** Whether the connection may carry another request after this response. */
  keepAlive = true
  /** The target's announced keep-alive timeout (Keep-Alive: timeout=N), or 0; kept from the last response that announced one. */
  keepAliveMs = 0
  private readonly http = new HttpParser(this, RACE_MAX_HEAD)
  private cap = 0
  private kept: Buffer[] | null = null
  private keptLen = 0

  get status(): number {
    return this.http.status
  }

  /** reset readies the parser for the next response; `noBody` for a HEAD request. */
  reset(cap: number, noBody: boolean): void {
    this.http.reset(noBody)
    this.bytes = 0
    this.cap = cap
    this.kept = null
    this.keptLen = 0
  }

  /** push feeds received bytes and says whether the response is complete. */
  push(chunk: Buffer): boolean {
    const r = this.http.execute(chunk)
    if (r === FAILED) throw new TransportError(this.http.errorMessage, this.http.errorCode)
    if (this.http.keepAliveMs > 0) this.keepAliveMs = this.http.keepAliveMs
    if (r === NEED_MORE) return false
    // Bytes past the response: do not trust the connection.
    this.keepAlive = this.http.keepAlive && r === chunk.length
    return true
  }

  /** endOfStream says whether the connection's close completes the response (a body delimited by the close). */
  endOfStream(): boolean {
    if (!this.http.finish()) return false
    this.keepAlive = false
    return true
  }

  /** text returns the kept body bytes as UTF-8, when any were asked for. */
  text(): string | undefined {
    return this.kept === null ? undefined : Buffer.concat(this.kept, this.keptLen).toString('utf8')
  }

  onHead(): void {
    this.keepAlive = this.http.keepAlive
  }

  onBody(chunk: Buffer): void {
    this.bytes += chunk.length
    if (this.keptLen >= this.cap) return
    const take = Math.min(chunk.length, this.cap - this.keptLen)
    ;(this.kept ??= []).push(chunk.subarray(0, take)) // a view: each 'data' chunk is a buffer of its own
    this.keptLen += take
  }
}
