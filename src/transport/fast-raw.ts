/**
 * RawConn: a FastPool connection (transport/fast-conn.ts) that drives libuv's TCP handle
 * directly, as Node's own net.js does underneath a `net.Socket`, without the socket's
 * stream machinery (Readable/Writable state, write callbacks, nextTicks, events, timers) on
 * every request. A profile of the net.Socket path put that plumbing at ~18% of likebench's
 * CPU at saturation.
 *
 * What it does per request is what net.js and internal/stream_base_commons.js do for a
 * `net.Socket`, minus what FastPool does not use:
 * - connect: `new TCP(SOCKET)`, bind()/bind6() to the pool's localAddress, connect()/connect6()
 *   with a TCPConnectWrap; setNoDelay(true) and setKeepAlive(true, 60 s) once connected, as
 *   `net.connect({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 })` does.
 * - reads: `useUserBuffer` (what net's `onread` option uses) into the connection's slab;
 *   `onread` reads the byte count or error from `streamBaseState[kReadBytesOrError]` and
 *   returns the next buffer only when the read space moved. UV_EOF is the server's FIN.
 * - writes: `writeLatin1String` (a body: `writev`, one syscall, as cork/uncork gives). A write
 *   that completed at once never touches its WriteWrap, so one is reused until a write goes
 *   async (`streamBaseState[kLastWriteWasAsync]`); that one is left to its completion.
 * - errors: a negative libuv status becomes an Error with net's shape (`code` from
 *   util.getSystemErrorName, errno, syscall, address, port), so ECONNREFUSED, ECONNRESET,
 *   EPIPE… classify as they do on a `net.Socket`; bind, connect and write failures are
 *   reported on the next tick, as net reports them, never inside dispatch().
 * - close: `close(cb)`; a pending connect is cancelled by it and its completion ignored.
 *
 * These bindings are Node internals reached through `process.binding()` (DEP0111, deprecated
 * in documentation only on Node 20). rawSockets() checks every piece before the fast path uses
 * them and answers false when one is missing or renamed, when LIKEBENCH_FAST_SOCKET=net, or
 * under --pending-deprecation or NODE_PENDING_DEPRECATION=1 (where process.binding would warn):
 * the pool then uses NetConn.
 * Only IP-literal hosts come here; a host name needs net's lookup and happy eyeballs.
 */
import { isIP } from 'node:net'
import { getSystemErrorName } from 'node:util'
import { CLOSED, Conn, type ConnPool, type Pending } from './fast-conn.js'

/** The parts of Node's tcp_wrap and stream_wrap bindings RawConn uses. */
interface TcpHandle {
  onread: (arrayBuffer: ArrayBuffer | undefined) => Uint8Array | undefined
  bind(address: string, port: number): number
  bind6(address: string, port: number, flags: number): number
  connect(req: ConnectReq, address: string, port: number): number
  connect6(req: ConnectReq, address: string, port: number): number
  setNoDelay(enable: boolean): number
  setKeepAlive(enable: boolean, initialDelaySeconds: number): number
  useUserBuffer(buf: Uint8Array): void
  readStart(): number
  writeLatin1String(req: WriteReq, data: string): number
  writev(req: WriteReq, chunks: Array<string | Uint8Array>, allBuffers: boolean): number
  ref(): void
  unref(): void
  close(callback: () => void): void
}
interface ConnectReq {
  oncomplete: (status: number) => void
}
interface WriteReq {
  oncomplete: (status: number) => void
  handle: TcpHandle
  chunks?: Array<string | Uint8Array>
}
interface Bindings {
  TCP: new (type: number) => TcpHandle
  TCPConnectWrap: new () => ConnectReq
  WriteWrap: new () => WriteReq
  SOCKET: number
  state: Int32Array
  kReadBytesOrError: number
  kLastWriteWasAsync: number
  UV_EOF: number
}

let bindings: Bindings | null | undefined

/** load reaches the bindings once; null when any piece is not what RawConn expects. */
function load(): Bindings | null {
  try {
    const binding = (process as unknown as { binding?: (name: string) => Record<string, unknown> }).binding
    if (typeof binding !== 'function') return null
    const tcp = binding('tcp_wrap')
    const stream = binding('stream_wrap')
    const uv = binding('uv')
    const constants = tcp.constants as Record<string, unknown> | undefined
    const b = {
      TCP: tcp.TCP, TCPConnectWrap: tcp.TCPConnectWrap, WriteWrap: stream.WriteWrap, SOCKET: constants?.SOCKET,
      state: stream.streamBaseState, kReadBytesOrError: stream.kReadBytesOrError, kLastWriteWasAsync: stream.kLastWriteWasAsync, UV_EOF: uv.UV_EOF,
    }
    if (typeof b.TCP !== 'function' || typeof b.TCPConnectWrap !== 'function' || typeof b.WriteWrap !== 'function') return null
    if (!(b.state instanceof Int32Array) || typeof b.SOCKET !== 'number' || typeof b.UV_EOF !== 'number') return null
    if (typeof b.kReadBytesOrError !== 'number' || typeof b.kLastWriteWasAsync !== 'number') return null
    const proto = (b.TCP as { prototype: Record<string, unknown> }).prototype
    for (const m of ['bind', 'bind6', 'connect', 'connect6', 'setNoDelay', 'setKeepAlive', 'useUserBuffer', 'readStart', 'writeLatin1String', 'writev', 'ref', 'unref', 'close']) {
      if (typeof proto[m] !== 'function') return null
    }
    return b as Bindings
  } catch {
    return null
  }
}

/** rawSockets says whether a FastPool for `host` (and `localAddress`) uses RawConn rather than NetConn. */
export function rawSockets(host: string, localAddress: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.LIKEBENCH_FAST_SOCKET === 'net') return false
  if (isIP(host) === 0 || (localAddress !== undefined && isIP(localAddress) === 0)) return false
  if (process.execArgv.includes('--pending-deprecation') || (env.NODE_OPTIONS ?? '').includes('--pending-deprecation') || env.NODE_PENDING_DEPRECATION === '1') return false
  if (bindings === undefined) bindings = load()
  return bindings !== null
}

/** uvError is the Error net.js makes of a libuv status: `connect ECONNREFUSED 127.0.0.1:80`, with code, errno, syscall, address and port. */
function uvError(status: number, syscall: string, address?: string, port?: number): Error {
  let code: string
  try {
    code = getSystemErrorName(status)
  } catch {
    code = `Unknown system error ${status}`
  }
  const where = address === undefined ? '' : port !== undefined && port > 0 ? ` ${address}:${port}` : ` ${address}`
  const err = Object.assign(new Error(`${syscall} ${code}${where}`), { errno: status, code, syscall })
  if (address !== undefined) Object.assign(err, port !== undefined && port > 0 ? { address, port } : { address })
  return err
}

function failLater(c: RawConn, err: Error): void {
  c.shutdown(err)
}

/** RawConn is a Conn over libuv's TCP handle; only built when rawSockets() said yes. */
export class RawConn extends Conn {
  private readonly b: Bindings
  private readonly handle: TcpHandle
  /** The WriteWrap the next write uses: reused while writes complete at once. */
  private req: WriteReq
  /** Where the current read lands: a view of the slab (Conn.readSpace). */
  private space: Buffer
  private handleClosed = false
  private closeWaiters: Array<() => void> | null = null

  constructor(pool: ConnPool, first: Pending) {
    super(pool, first)
    const b = bindings!
    this.b = b
    const h = new b.TCP(b.SOCKET)
    this.handle = h
    h.onread = this.onHandleRead
    this.req = this.newReq()
    this.space = this.readSpace()
    const { host, port } = pool
    const v6 = isIP(host) === 6
    const local = pool.opts.localAddress
    let err = 0
    if (local !== undefined) {
      // As net.js: the remote's family decides bind or bind6.
      err = v6 ? h.bind6(local, 0, 0) : h.bind(local, 0)
      if (err !== 0) {
        process.nextTick(failLater, this, uvError(err, 'bind', local))
        return
      }
    }
    const connectReq = new b.TCPConnectWrap()
    connectReq.oncomplete = this.onConnected
    err = v6 ? h.connect6(connectReq, host, port) : h.connect(connectReq, host, port)
    if (err !== 0) process.nextTick(failLater, this, uvError(err, 'connect', host, port))
  }

  protected send(head: string, body: Uint8Array | string | null): void {
    const req = this.req
    let err: number
    if (body === null) err = this.handle.writeLatin1String(req, head)
    else {
      const chunks = [head, 'latin1', body, typeof body === 'string' ? 'utf8' : 'buffer']
      req.chunks = chunks // an async writev reads the Buffer's bytes later
      err = this.handle.writev(req, chunks, false)
    }
    if (err !== 0) {
      process.nextTick(failLater, this, uvError(err, 'write'))
      return
    }
    // An async write owns its WriteWrap until it completes: the next write gets a new one.
    if (this.b.state[this.b.kLastWriteWasAsync] !== 0) this.req = this.newReq()
    else if (body !== null) req.chunks = undefined
  }

  protected hold(): void {
    this.handle.ref()
  }

  unref(): void {
    this.handle.unref()
    this.reffed = false
  }

  protected drop(): void {
    this.handle.close(this.onHandleClosed)
  }

  closed(): Promise<void> {
    if (this.handleClosed) return Promise.resolve()
    return new Promise((resolve) => (this.closeWaiters ??= []).push(resolve))
  }

  private newReq(): WriteReq {
    const req = new this.b.WriteWrap()
    req.handle = this.handle
    req.oncomplete = this.onWritten
    return req
  }

  private readonly onConnected = (status: number): void => {
    if (this.state === CLOSED) return // closed while connecting: the close cancelled the connect
    if (status !== 0) return this.shutdown(uvError(status, 'connect', this.pool.host, this.pool.port))
    const h = this.handle
    h.setNoDelay(true)
    h.setKeepAlive(true, 60)
    h.useUserBuffer(this.space)
    const err = h.readStart()
    if (err !== 0) return this.shutdown(uvError(err, 'read'))
    this.opened()
  }

  private readonly onHandleRead = (): Uint8Array | undefined => {
    const n = this.b.state[this.b.kReadBytesOrError]!
    if (n > 0) {
      if (this.received(this.space, n) && this.state !== CLOSED) return (this.space = this.readSpace())
      return undefined
    }
    if (n !== 0) this.shutdown(n === this.b.UV_EOF ? null : uvError(n, 'read'))
    return undefined
  }

  private readonly onWritten = (status: number): void => {
    if (status < 0) this.shutdown(uvError(status, 'write'))
  }

  private readonly onHandleClosed = (): void => {
    this.handleClosed = true
    const waiters = this.closeWaiters
    this.closeWaiters = null
    if (waiters !== null) for (const resolve of waiters) resolve()
  }
}
