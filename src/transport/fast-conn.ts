/**
 * One connection of a FastPool (transport/fast.ts): it writes a request, feeds what it reads
 * to the shared HTTP/1.1 parser (transport/http1.ts) and turns the parser's view of the
 * response into undici's handler calls, settling each exchange exactly once.
 *
 * Conn holds all of that; what carries the bytes is a subclass: RawConn
 * (transport/fast-raw.ts) drives libuv's TCP handle directly, the default where Node's
 * bindings allow it; NetConn, here, goes through a `net.Socket` — the fallback, and what
 * LIKEBENCH_FAST_SOCKET=net forces.
 */
import { connect, type Socket } from 'node:net'
import { FAILED, KEEP_ALIVE_THRESHOLD_MS, NEED_MORE, ResponseParser, TransportError, type ResponseSink } from './http1.js'

/** ConnPool is what a connection needs of its pool. */
export interface ConnPool {
  readonly host: string
  readonly port: number
  readonly opts: { timeoutMs: number; localAddress?: string; keepAliveTimeoutMs?: number }
  /** The clock deadlines are stamped from, and how far ahead of it they lie. */
  readonly clock: number
  readonly span: number
  /** release takes back a connection whose exchange finished. */
  release(c: Conn): void
  /** forget drops a connection that closed. */
  forget(c: Conn): void
}

/** Handler is the part of undici's legacy dispatch handler FastPool calls. */
export interface Handler {
  onConnect?(abort?: (err?: Error) => void): void
  onHeaders?(status: number, rawHeaders: string[], resume: () => void, statusText: string): boolean | void
  onData?(chunk: Buffer): boolean | void
  onComplete?(trailers: string[]): void
  onError?(err: Error): void
}

/** Pending is a request waiting for a connection, already rendered. */
export interface Pending {
  head: string
  body: Uint8Array | string | null
  close: boolean
  noBody: boolean
  handler: Handler
}

/** A connection's states: opening, free, carrying an exchange, gone. */
export const [CONNECTING, IDLE, BUSY, CLOSED] = [0, 1, 2, 3] as const
const NO_TRAILERS: string[] = []
/** Reads go into 64 KiB slabs; a new one when less than 16 KiB is left. */
const SLAB_BYTES = 64 * 1024
const MIN_READ = 16 * 1024
const EMPTY_SLAB = Buffer.alloc(0)
const noop = (): void => {}

/** Conn is one connection carrying one exchange at a time; it is the parser's sink. Subclasses open it and carry its bytes. */
export abstract class Conn implements ResponseSink {
  state: number = CONNECTING
  deadline: number
  timeoutCode = 'UND_ERR_CONNECT_TIMEOUT'
  idleSince = 0
  /** How long the connection may stay idle: the server's announced keep-alive timeout less 2 s, or the pool's default. */
  ttl: number
  reffed = true
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
    protected readonly pool: ConnPool,
    first: Pending,
  ) {
    this.pending = first
    this.deadline = pool.clock + pool.span
    this.ttl = pool.opts.keepAliveTimeoutMs ?? 30_000
  }

  /** send writes a request's bytes: the head as latin1, then the body (a Buffer, or a string as UTF-8) if any. */
  protected abstract send(head: string, body: Uint8Array | string | null): void
  /** hold makes the connection keep the process alive again. */
  protected abstract hold(): void
  /** unref lets an idle connection stop holding the process open. */
  abstract unref(): void
  /** drop ends the socket at once (the state is already CLOSED). */
  protected abstract drop(): void
  /** closed resolves once the socket has closed. */
  abstract closed(): Promise<void>

  /** write sends one request on this (connected, free) connection: onConnect, then one write (corked with a separate body). */
  write(head: string, body: Uint8Array | string | null, close: boolean, noBody: boolean, h: Handler): void {
    this.state = BUSY
    this.handler = h
    this.closeAfter = close
    this.parser.reset(noBody)
    this.deadline = this.pool.clock + this.pool.span
    this.timeoutCode = 'UND_ERR_HEADERS_TIMEOUT'
    if (!this.reffed) {
      this.hold()
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
    this.send(head, body)
  }

  /** onHead passes the final response head to the handler. */
  onHead(status: number, rawHeaders: string[], statusText: string): void {
    this.handler?.onHeaders?.(status, rawHeaders, noop, statusText)
  }

  /** onBody passes a body piece to the handler, and marks the read's bytes as in use. */
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
    this.drop()
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

  /** opened writes the request that waited for the connection; a subclass calls it once connected. */
  protected opened(): void {
    const p = this.pending!
    this.pending = null
    this.state = IDLE
    this.write(p.head, p.body, p.close, p.noBody, p.handler)
  }

  /**
   * Reads land in a slab of this connection's own, which skips the Readable machinery and
   * the fresh ArrayBuffer Node makes for every read. Body views handed to the handler stay
   * valid: the bytes under them are never read into again, because the slab only moves past
   * a read that produced body bytes. A read without body bytes (a 204, a head whose body
   * comes later) is done with its bytes once parsed — the head was decoded into strings, a
   * partial head copied — so the next read reuses the same space. readSpace is where the
   * next read may land.
   */
  protected readSpace(): Buffer {
    if (this.slab.length - this.slabOff < MIN_READ) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.slabOff = 0
    }
    return this.slab.subarray(this.slabOff)
  }

  /** received parses the `n` bytes a read put at the start of `space` (from readSpace); true when the read space moved on. */
  protected received(space: Buffer, n: number): boolean {
    this.viewed = false
    this.onSocketData(space.subarray(0, n))
    if (!this.viewed) return false
    this.slabOff += (n + 7) & ~7
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

}

/** NetConn carries a Conn's bytes over a `net.Socket`: reads through its `onread` buffer, writes through its Writable. */
export class NetConn extends Conn {
  private readonly socket: Socket

  constructor(pool: ConnPool, first: Pending) {
    super(pool, first)
    const { host, port, opts } = pool
    this.socket = connect({
      host, port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000,
      onread: { buffer: () => this.readSpace(), callback: this.onRead },
      ...(opts.localAddress === undefined ? {} : { localAddress: opts.localAddress }),
    })
    this.socket.on('connect', this.onSocketConnect)
    this.socket.on('end', this.onSocketEnd)
    this.socket.on('error', this.onSocketError)
    this.socket.on('close', this.onSocketClose)
  }

  protected send(head: string, body: Uint8Array | string | null): void {
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

  protected hold(): void {
    this.socket.ref()
  }

  unref(): void {
    this.socket.unref()
    this.reffed = false
  }

  protected drop(): void {
    this.socket.destroy()
  }

  closed(): Promise<void> {
    return this.socket.closed ? Promise.resolve() : new Promise((resolve) => this.socket.once('close', () => resolve()))
  }

  private readonly onRead = (n: number, buf: Uint8Array): boolean => {
    this.received(buf as Buffer, n)
    return true
  }

  private readonly onSocketConnect = (): void => this.opened()
  private readonly onSocketEnd = (): void => this.shutdown(null)
  private readonly onSocketError = (err: Error): void => this.shutdown(err)
  private readonly onSocketClose = (): void => this.shutdown(null)
}
