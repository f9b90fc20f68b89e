/**
 * FastPool: a lean HTTP/1.1 keep-alive pool over `net.Socket`s, a drop-in for what the engine
 * uses of undici's Pool — `dispatch(options, handler)` with undici's original handler methods,
 * `close()`, `destroy()` — at a fraction of its CPU per request. undici's general path (a
 * Request per dispatch, header normalisation, its queue machinery, llhttp's WASM callbacks)
 * was most of likebench's user-space time; here a request is one string with cached parts,
 * written once (transport/request-head.ts), and a response head is one indexOf and one latin1
 * decode (transport/http1.ts).
 *
 * The handler contract is undici's: onConnect when the request is written to a socket (queued
 * time is not sent time), onHeaders(status, rawHeaders, resume, statusText) for the final
 * response, onData per body piece (views of received bytes, not copies), onComplete([]) — or
 * onError(err) with a `code` classify() maps — exactly once. Differences: rawHeaders are
 * latin1 strings, not Buffers (String(x) and .length read the same for ASCII); pause requests
 * (handler return values) are ignored; `abort` is only made for an onConnect that takes it.
 *
 * Connections: up to `connections`, opened lazily, reused last-in first-out, one request at a
 * time, a FIFO queue when all are busy. An idle connection is dropped when the server's FIN
 * arrives, or once past the server's announced keep-alive timeout less 2 s (as undici) or
 * 30 s idle, so a server closing kept connections between requests costs a reconnect, not a
 * failure. A request already written when its connection dies fails as `reset` and is not
 * retried (a load tool must not send twice what it counts once; undici does the same).
 *
 * Timeouts (connect, headers, each gap in the body: all `timeoutMs`) cost no timer and no
 * clock read per request: deadlines are stamped from the pool's clock, which one interval per
 * pool refreshes as it sweeps them every min(50, timeoutMs / 4) ms, and include one sweep of
 * slack. A timeout fires between timeoutMs and timeoutMs + 2 sweeps after the event — earlier
 * only by however long the event loop was blocked just before the write (the clock is stale).
 */
import { Dispatcher } from 'undici'
import { BUSY, CLOSED, CONNECTING, IDLE, NetConn, type Conn, type ConnPool, type Handler, type Pending } from './fast-conn.js'
import { RawConn, rawSockets } from './fast-raw.js'
import { TransportError } from './http1.js'
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

/** FastPool sends HTTP/1.1 requests to one `http:` origin over a bounded set of kept-alive connections. */
export class FastPool extends Dispatcher implements ConnPool {
  /** True once close() or destroy() was called: later dispatches fail as aborted. */
  closed = false
  /** True once the pool has ended all its connections. */
  destroyed = false
  /** @internal */ readonly host: string
  /** @internal */ readonly port: number
  private readonly writer: RequestWriter
  /** Connections without an exchange, the most recently used last. */
  private readonly idle: Conn[] = []
  private readonly conns: Conn[] = []
  private queue: Pending[] = []
  private queueHead = 0
  private sweeper: NodeJS.Timeout | null = null
  /** @internal performance.now() as of the last sweep: the clock deadlines are stamped from. */
  clock = 0
  /** @internal How far ahead of the clock a deadline is: the timeout plus one sweep. */
  readonly span: number
  private readonly tickMs: number
  /** Whether connections drive libuv's TCP handle directly (RawConn) rather than a net.Socket (NetConn). */
  readonly raw: boolean
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
    this.raw = rawSockets(this.host, opts.localAddress)
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
    const done = Promise.all(closing).then(() => undefined)
    if (callback === undefined) return done
    void done.then(callback)
  }

  /** stats reports connections and requests, in the shape of undici's PoolStats. */
  get stats(): { connected: number; free: number; pending: number; queued: number; running: number; size: number } {
    const [queued, running] = [this.queue.length - this.queueHead, this.conns.filter((c) => c.state === BUSY).length]
    return { connected: this.conns.filter((c) => c.state !== CONNECTING).length, free: this.idle.length, pending: queued, queued, running, size: queued + running }
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
    const i = this.idle.indexOf(c)
    if (i >= 0) this.idle.splice(i, 1) // keeps the most recently used last
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
    this.conns.push(this.raw ? new RawConn(this, p) : new NetConn(this, p))
    if (this.sweeper === null) {
      this.sweeper = setInterval(this.sweep, this.tickMs)
      this.sweeper.unref()
    }
  }

  /** settleClose finishes a graceful close once nothing is queued or in flight. */
  private settleClose(): void {
    if (!this.closed || this.destroyed || this.queue.length > this.queueHead || this.conns.some((c) => c.state !== IDLE)) return
    this.destroyed = true
    for (const c of [...this.conns]) c.shutdown(null)
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
      } else if (c.state !== CLOSED && now >= c.deadline) c.shutdown(new TransportError(`${c.timeoutCode.slice(8, -8).toLowerCase()} timeout`, c.timeoutCode))
    }
  }
}

function swapRemove<T>(xs: T[], x: T): void {
  const i = xs.indexOf(x)
  if (i < 0) return
  xs[i] = xs[xs.length - 1]!
  xs.pop()
}
