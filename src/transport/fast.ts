/**
 * FastPool: a lean HTTP/1.1 keep-alive pool over `net.Socket`s, a drop-in for the part of
 * undici's Pool the engine uses — `dispatch(options, handler)` with undici's original handler
 * methods, `close()` and `destroy()` — at a fraction of the CPU per request. undici's general
 * path (a Request object per dispatch, header normalisation, its queue machinery, llhttp's
 * WASM callbacks) was most of likebench's user-space time against a fast target; here a
 * request is one cached-prefix string written once (transport/request-head.ts) and a response
 * is one indexOf and one latin1 decode of its head (transport/http1.ts).
 *
 * Contract, the same as undici's for these handlers: onConnect when the request is written to
 * a socket (queued time is not sent time), onHeaders(status, rawHeaders, resume, statusText)
 * for the final response, onData per body piece (views of received bytes, never copied),
 * then onComplete([]) — or onError(err) with a `code` that classify() maps — exactly once.
 * Differences: rawHeaders are latin1 strings, not Buffers (String(x) and .length read the same
 * for ASCII); handler return values (pause) are ignored, as the engine never pauses; and the
 * `abort` given to onConnect is only made for handlers whose onConnect declares a parameter.
 *
 * Connections: up to `connections`, opened lazily, reused last-in first-out so the hottest
 * stay hot, one request at a time (no pipelining), and a FIFO queue when all are busy. An
 * idle connection the server closes is dropped as soon as its FIN arrives, and one past the
 * server's announced keep-alive timeout (less 2 s, as undici) or idle 30 s is closed before
 * reuse, so a server that closes keep-alive connections between requests costs a reconnect,
 * not a failure. A request already written when its connection dies fails as `reset`
 * (UND_ERR_SOCKET) and is not retried — a load tool must not send twice what it counts once;
 * undici does the same for the request in flight.
 *
 * Timeouts (connect, headers, and each gap in the body, all `timeoutMs`) cost no timer and no
 * clock read per request: each connection has a deadline stamped from the pool's clock, which
 * one interval per pool refreshes as it sweeps the deadlines every min(50, timeoutMs / 4) ms.
 * A deadline is the clock plus timeoutMs plus one sweep, so a timeout fires between timeoutMs
 * and timeoutMs + 2 sweeps after the event, earlier only by however long the event loop was
 * blocked before the request was written (the clock is that stale then).
 */
import { connect, type Socket } from 'node:net'
import { Dispatcher } from 'undici'
import { FAILED, KEEP_ALIVE_THRESHOLD_MS, NEED_MORE, ResponseParser, TransportError, type ResponseSink } from './http1.js'
import { RequestWriter } from './request-head.js'

/** FastPoolOptions size a FastPool like transport/pool.ts's PoolOptions. */
export interface FastPoolOptions {
  connections: number
  /** Applies to connecting, to waiting for the response head, and to each gap while reading the body. */
  timeoutMs: number
  localAddress?: string
  /** Close a connection idle this long when the server announced no keep-alive timeout (default 30 s). */
  keepAliveTimeoutMs?: number
}

/** Handler is the part of undici's legacy dispatch handler FastPool calls. */
interface Handler {
  onConnect?(abort?: (err?: Error) => void): void
  onHeaders?(status: number, rawHeaders: string[], resume: () => void, statusText: string): boolean | void
  onData?(chunk: Buffer): boolean | void
  onComplete?(trailers: string[]): void
  onError?(err: Error): void
}

/** Pending is a request waiting for a connection, already rendered. */
interface Pending {
  head: string
  body: Uint8Array | string | null
  close: boolean
  noBody: boolean
  handler: Handler
}

const [CONNECTING, IDLE, BUSY, CLOSED] = [0, 1, 2, 3] as const
const NO_TRAILERS: string[] = []
/** Reads go into 64 KiB slabs; a new one when less than 16 KiB is left. */
const SLAB_BYTES = 64 * 1024
const MIN_READ = 16 * 1024
const EMPTY_SLAB = Buffer.alloc(0)
const noop = (): void => {}

/** FastPool sends HTTP/1.1 requests to one `http:` origin over a bounded set of kept-alive connections. */
export class FastPool extends Dispatcher {
  /** True once close() or destroy() was called: later dispatches fail as aborted. */
  closed = false
  /** True once the pool has ended all its connections. */
  destroyed = false
  /** @internal */ readonly writer: RequestWriter
  /** @internal */ readonly host: string
  /** @internal */ readonly port: number
  /** @internal */ readonly idle: Conn[] = []
  /** @internal */ readonly conns: Conn[] = []
  private queue: Pending[] = []
  private queueHead = 0
  private sweeper: NodeJS.Timeout | null = null
  /** @internal performance.now() as of the last sweep: the clock deadlines are stamped from. */
  clock = 0
  /** @internal How far ahead of the clock a deadline is: the timeout plus one sweep. */
  readonly span: number
  private readonly tickMs: number
  private closeWaiters: Array<() => void> = []

  constructor(
    origin: string,
    /** @internal */ readonly opts: FastPoolOptions,
  ) {
    super()
    const url = new URL(origin)
    if (url.protocol !== 'http:') throw new Error(`the fast transport speaks plain HTTP/1.1; ${url.protocol} is not supported`)
    this.host = url.hostname.replace(/^\[|\]$/g, '')
    this.port = Number(url.port || 80)
    this.writer = new RequestWriter(url.host)
    this.tickMs = Math.max(1, Math.min(50, Math.floor(opts.timeoutMs / 4)))
    this.span = opts.timeoutMs + this.tickMs
  }

  /** dispatch sends `options` and reports to `handler`'s undici methods; it returns false when the request could not be accepted. */
  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const h = handler as Handler
    if (this.closed) {
      h.onError?.(new TransportError(this.destroyed ? 'the pool was destroyed' : 'the pool is closed', this.destroyed ? 'UND_ERR_DESTROYED' : 'UND_ERR_CLOSED'))
      return false
    }
    const w = this.writer
    const head = w.render(options)
    if (head === null) {
      h.onError?.(w.error!) // like undici: an invalid request fails at once, before any connection
      return false
    }
    const c = this.idle.pop()
    if (c !== undefined) {
      c.write(head, w.body, w.close, w.noBody, h)
      return true
    }
    const p: Pending = { head, body: w.body, close: w.close, noBody: w.noBody, handler: h }
    if (this.conns.length < this.opts.connections) this.open(p)
    else this.queue.push(p)
    return true
  }

  /** close stops accepting requests, lets queued and in-flight ones finish (each bounded by the timeout), then ends the connections. */
  override close(): Promise<void>
  override close(callback: () => void): void
  override close(callback?: () => void): Promise<void> | void {
    this.closed = true
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve))
    this.settleClose()
    if (callback === undefined) return done
    void done.then(callback)
  }

  /** destroy fails every queued and in-flight request as aborted (UND_ERR_DESTROYED, or `err`) and ends every connection. */
  override destroy(): Promise<void>
  override destroy(err: Error | null): Promise<void>
  override destroy(callback: () => void): void
  override destroy(err: Error | null, callback: () => void): void
  override destroy(a?: Error | null | (() => void), b?: () => void): Promise<void> | void {
    const callback = typeof a === 'function' ? a : b
    const err = a instanceof Error ? a : new TransportError('the pool was destroyed', 'UND_ERR_DESTROYED')
    this.closed = true
    this.destroyed = true
    const queued = this.queue.slice(this.queueHead)
    this.queue = []
    this.queueHead = 0
    const closing = this.conns.map((c) => c.closed())
    for (const c of [...this.conns]) c.shutdown(err)
    this.stopSweeper()
    for (const p of queued) p.handler.onError?.(err)
    for (const resolve of this.closeWaiters.splice(0)) resolve()
    const done = Promise.all(closing).then(noop)
    if (callback === undefined) return done
    void done.then(callback)
  }

  /** stats reports connections and requests, in the shape of undici's PoolStats. */
  get stats(): { connected: number; free: number; pending: number; queued: number; running: number; size: number } {
    const queued = this.queue.length - this.queueHead
    const running = this.conns.filter((c) => c.state === BUSY).length
    const connected = this.conns.filter((c) => c.state !== CONNECTING).length
    return { connected, free: this.idle.length, pending: queued, queued, running, size: queued + running }
  }

  /** @internal release takes back a connection whose exchange finished: it carries the next queued request or waits. */
  release(c: Conn): void {
    const p = this.next()
    if (p !== undefined) return c.write(p.head, p.body, p.close, p.noBody, p.handler)
    c.idleSince = this.clock
    this.idle.push(c)
    if (this.closed) this.settleClose()
  }

  /** @internal forget drops a closed connection; a queued request then gets a connection of its own. */
  forget(c: Conn): void {
    swapRemove(this.conns, c)
    swapRemove(this.idle, c)
    if (!this.closed) {
      const p = this.queue.length > this.queueHead ? this.next() : undefined
      if (p !== undefined) this.open(p)
    } else this.settleClose()
    if (this.conns.length === 0) this.stopSweeper()
  }

  private next(): Pending | undefined {
    if (this.queueHead >= this.queue.length) return undefined
    const p = this.queue[this.queueHead]!
    this.queue[this.queueHead++] = undefined as unknown as Pending
    // Compact now and then, so a long queue does not shift on every take.
    if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.queueHead)
      this.queueHead = 0
    } else if (this.queueHead === this.queue.length) {
      this.queue.length = 0
      this.queueHead = 0
    }
    return p
  }

  private open(p: Pending): void {
    if (this.sweeper === null) this.clock = performance.now()
    this.conns.push(new Conn(this, p))
    if (this.sweeper === null) {
      this.sweeper = setInterval(this.sweep, this.tickMs)
      this.sweeper.unref()
    }
  }

  /** settleClose finishes a graceful close once nothing is queued or in flight. */
  private settleClose(): void {
    if (!this.closed || this.queue.length > this.queueHead || this.conns.some((c) => c.state !== IDLE)) return
    for (const c of [...this.conns]) c.shutdown(null)
    this.destroyed = true
    this.stopSweeper()
    for (const resolve of this.closeWaiters.splice(0)) resolve()
  }

  private stopSweeper(): void {
    if (this.sweeper !== null) clearInterval(this.sweeper)
    this.sweeper = null
  }

  /** sweep fails requests past their deadline, closes expired idle connections and lets idle ones stop holding the process open. */
  private readonly sweep = (): void => {
    const now = performance.now()
    this.clock = now
    for (const c of [...this.conns]) {
      if (c.state === IDLE) {
        if (now - c.idleSince >= c.ttl) c.shutdown(null)
        else if (c.reffed && now - c.idleSince >= this.tickMs) c.unref()
      } else if (c.state !== CLOSED && now >= c.deadline) c.shutdown(new TransportError(TIMEOUT_MESSAGES[c.timeoutCode]!, c.timeoutCode))
    }
  }
}

const TIMEOUT_MESSAGES: Readonly<Record<string, string>> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'headers timeout',
  UND_ERR_BODY_TIMEOUT: 'body timeout',
}

function swapRemove<T>(xs: T[], x: T): void {
  const i = xs.indexOf(x)
  if (i < 0) return
  xs[i] = xs[xs.length - 1]!
  xs.pop()
}

/** Conn is one connection carrying one exchange at a time; it is the parser's sink. */
class Conn implements ResponseSink {
  state: number = CONNECTING
  deadline: number
  timeoutCode = 'UND_ERR_CONNECT_TIMEOUT'
  idleSince = 0
  /** How long the connection may stay idle: the server's announced keep-alive timeout less 2 s, or the pool's default. */
  ttl: number
  reffed = true
  private readonly socket: Socket
  private readonly parser = new ResponseParser(this)
  private handler: Handler | null = null
  private pending: Pending | null
  private closeAfter = false
  /** Counts exchanges, so an `abort` handed out for one cannot end a later one. */
  private seq = 0
  private slab = EMPTY_SLAB
  private slabOff = 0
  /** Whether the read being parsed handed body bytes to the handler. */
  private viewed = false

  constructor(
    private readonly pool: FastPool,
    first: Pending,
  ) {
    this.pending = first
    this.deadline = pool.clock + pool.span
    this.ttl = pool.opts.keepAliveTimeoutMs ?? 30_000
    const { host, port, opts } = pool
    this.socket = connect({
      host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000,
      onread: { buffer: this.readBuffer, callback: this.onRead },
      ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
    })
    this.socket.on('connect', this.onSocketConnect)
    this.socket.on('end', this.onSocketEnd)
    this.socket.on('error', this.onSocketError)
    this.socket.on('close', this.onSocketClose)
  }

  /** write sends one request on this (connected, free) connection: onConnect, then one write (corked with a separate body). */
  write(head: string, body: Uint8Array | string | null, close: boolean, noBody: boolean, h: Handler): void {
    this.state = BUSY
    this.handler = h
    this.closeAfter = close
    this.parser.reset(noBody)
    this.deadline = this.pool.clock + this.pool.span
    this.timeoutCode = 'UND_ERR_HEADERS_TIMEOUT'
    if (!this.reffed) {
      this.socket.ref()
      this.reffed = true
    }
    const seq = ++this.seq
    if (h.onConnect !== undefined) {
      try {
        // A handler that declares no parameter cannot use abort: do not allocate one for it.
        if (h.onConnect.length === 0) h.onConnect()
        else h.onConnect((err) => this.seq === seq && this.handler !== null && this.shutdown(err ?? new TransportError('request aborted', 'UND_ERR_ABORTED')))
      } catch (err) {
        return this.shutdown(err as Error)
      }
      if (this.handler !== h || this.seq !== seq) return // aborted from onConnect: nothing was written
    }
    const s = this.socket
    if (body === null) s.write(head, 'latin1')
    else {
      s.cork()
      s.write(head, 'latin1')
      if (typeof body === 'string') s.write(body, 'utf8')
      else s.write(body)
      s.uncork()
    }
  }

  unref(): void {
    this.socket.unref()
    this.reffed = false
  }

  /** closed resolves once the socket has closed. */
  closed(): Promise<void> {
    return this.socket.closed ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()))
  }

  onHead(status: number, rawHeaders: string[], statusText: string): void {
    this.handler?.onHeaders?.(status, rawHeaders, noop, statusText)
  }

  onBody(chunk: Buffer): void {
    this.viewed = true
    this.handler?.onData?.(chunk)
  }

  /**
   * shutdown ends the connection (once) and settles what it carried: a request waiting for it
   * to open fails with `err`; one in flight completes if the close ends its body, else fails
   * with `err` or, for a plain close, UND_ERR_SOCKET ("other side closed": a reset).
   */
  shutdown(err: Error | null): void {
    if (this.state === CLOSED) return
    const wasConnecting = this.state === CONNECTING
    this.state = CLOSED
    this.socket.destroy()
    this.pool.forget(this)
    const h = this.handler
    this.handler = null
    const p = this.pending
    this.pending = null
    if (wasConnecting && p !== null) p.handler.onError?.(err ?? new TransportError('connection closed before it was established', 'UND_ERR_SOCKET'))
    else if (h !== null) {
      if (err === null && this.parser.finish()) h.onComplete?.(NO_TRAILERS)
      else h.onError?.(err ?? new TransportError('other side closed', 'UND_ERR_SOCKET'))
    }
  }

  private readonly onSocketConnect = (): void => {
    const p = this.pending!
    this.pending = null
    this.state = IDLE
    this.write(p.head, p.body, p.close, p.noBody, p.handler)
  }

  /**
   * Reads land in a slab of this connection's own (`onread`), which skips the Readable
   * machinery and the fresh ArrayBuffer Node makes for every read. Body views handed to the
   * handler stay valid: the bytes under them are never read into again, because the slab
   * only moves past a read that produced body bytes. A read without body bytes (a 204, a
   * head whose body comes later) is done with its bytes once parsed — the head was decoded
   * into strings, a partial head copied — so the next read reuses the same space.
   */
  private readonly readBuffer = (): Buffer => {
    if (this.slab.length - this.slabOff < MIN_READ) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.slabOff = 0
    }
    return this.slab.subarray(this.slabOff)
  }

  private readonly onRead = (n: number, buf: Uint8Array): boolean => {
    this.viewed = false
    this.onSocketData((buf as Buffer).subarray(0, n))
    if (this.viewed) this.slabOff += (n + 7) & ~7
    return true
  }

  private onSocketData(chunk: Buffer): void {
    if (this.handler === null) return this.shutdown(null) // bytes nobody asked for: the connection cannot be trusted
    let r: number
    try {
      r = this.parser.execute(chunk)
    } catch (err) {
      return this.shutdown(err as Error) // a handler threw: the exchange fails with its error, as in undici
    }
    if (this.state === CLOSED) return // the handler aborted
    if (r === NEED_MORE) {
      if (this.parser.inBody) {
        this.deadline = this.pool.clock + this.pool.span
        this.timeoutCode = 'UND_ERR_BODY_TIMEOUT'
      }
      return
    }
    if (r === FAILED) return this.shutdown(new TransportError(this.parser.errorMessage, this.parser.errorCode))
    this.complete(r < chunk.length)
  }

  /** complete hands the connection back (or ends it) and then reports the response: a closed loop's next request finds it free. */
  private complete(extraBytes: boolean): void {
    const h = this.handler!
    this.handler = null
    const p = this.parser
    let keep = p.keepAlive && !this.closeAfter && !extraBytes
    if (keep && p.keepAliveMs > 0) {
      this.ttl = p.keepAliveMs - KEEP_ALIVE_THRESHOLD_MS
      keep = this.ttl > 0
    }
    if (keep) {
      this.state = IDLE
      this.pool.release(this)
    } else this.shutdown(null)
    h.onComplete?.(NO_TRAILERS)
  }

  private readonly onSocketEnd = (): void => this.shutdown(null)
  private readonly onSocketError = (err: Error): void => this.shutdown(err)
  private readonly onSocketClose = (): void => this.shutdown(null)
}
