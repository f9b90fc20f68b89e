import { spawn, spawnSync } from 'node:child_process'
import http from 'node:http'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { Dispatcher, Pool } from 'undici'
import { FastPool } from '../../src/transport/fast.js'
import { createPool } from '../../src/transport/pool.js'
import { Exchange, send, type Outcome, type SendRequest } from '../../src/transport/send.js'
import {
  bigBodyServer,
  closingServer,
  garbageServer,
  hangingServer,
  refusedOrigin,
  resettingServer,
  stallingBodyServer,
  startRawServer,
  startServer,
  type TestServer,
} from '../helpers/servers.js'

/**
 * The transports against real loopback servers: every behaviour the engine needs, run against
 * FastPool and undici's Pool side by side (same outcomes, same bytes on the wire), then what
 * only the fast path needs showing:
 * responses split at every byte, the server closing kept connections, queueing, destroy.
 */

const GET: SendRequest = { method: 'GET', path: '/v1/posts/7' }

let servers: TestServer[] = []
let pools: Dispatcher[] = []

type Make = (origin: string, timeoutMs: number, connections: number, localAddress?: string) => Dispatcher
/** The fast path's two ways of carrying bytes: libuv's TCP handle directly (the default), and net.Socket (LIKEBENCH_FAST_SOCKET=net). */
type Socket = 'raw' | 'net'
const TRANSPORTS: Array<[string, Make]> = [
  ['fast', (origin, timeoutMs, connections, localAddress) => fastPool('raw', origin, { timeoutMs, connections, ...(localAddress ? { localAddress } : {}) })],
  ['fast over net.Socket', (origin, timeoutMs, connections, localAddress) => fastPool('net', origin, { timeoutMs, connections, ...(localAddress ? { localAddress } : {}) })],
  ['undici', (origin, timeoutMs, connections, localAddress) => undiciPool(origin, { timeoutMs, connections, ...(localAddress ? { localAddress } : {}) })],
]

/** fastPool builds a FastPool whose connections use `socket`, checking it got what it asked for. */
function fastPool(socket: Socket, origin: string, opts: ConstructorParameters<typeof FastPool>[1]): FastPool {
  const before = process.env.LIKEBENCH_FAST_SOCKET
  if (socket === 'net') process.env.LIKEBENCH_FAST_SOCKET = 'net'
  else delete process.env.LIKEBENCH_FAST_SOCKET
  try {
    const pool = new FastPool(origin, opts)
    expect(pool.raw).toBe(socket === 'raw')
    return pool
  } finally {
    if (before === undefined) delete process.env.LIKEBENCH_FAST_SOCKET
    else process.env.LIKEBENCH_FAST_SOCKET = before
  }
}

/** undiciPool builds the undici fallback the way createPool does when LIKEBENCH_TRANSPORT=undici. */
function undiciPool(origin: string, opts: Parameters<typeof createPool>[1]): Pool {
  const before = process.env.LIKEBENCH_TRANSPORT
  process.env.LIKEBENCH_TRANSPORT = 'undici'
  try {
    return createPool(origin, opts)
  } finally {
    if (before === undefined) delete process.env.LIKEBENCH_TRANSPORT
    else process.env.LIKEBENCH_TRANSPORT = before
  }
}

afterEach(async () => {
  await Promise.all(pools.map((p) => p.destroy()))
  await Promise.all(servers.map((s) => s.close()))
  pools = []
  servers = []
})

/** rawServer answers every request with `reply(socket)` and registers itself for cleanup. */
async function rawServer(reply: (socket: net.Socket) => void): Promise<TestServer> {
  const s = await startRawServer(reply)
  servers.push(s)
  return s
}

/** failure sends one request through a handler of our own and returns the error's code (or 'ok'). */
function failure(pool: Dispatcher, req: SendRequest = GET): Promise<string> {
  return new Promise((resolve) => {
    pool.dispatch(req as Dispatcher.DispatchOptions, {
      onConnect: () => {},
      onHeaders: () => true,
      onData: () => true,
      onComplete: () => resolve('ok'),
      onError: (err: Error & { code?: string }) => resolve(err.code ?? err.name),
    })
  })
}

describe.each(TRANSPORTS)('%s transport against real loopback servers', (_name, make) => {
  const poolFor = (s: TestServer | string, timeoutMs = 2000, connections = 4, localAddress?: string): Dispatcher => {
    if (typeof s !== 'string') servers.push(s)
    const pool = make(typeof s === 'string' ? s : s.origin, timeoutMs, connections, localAddress)
    pools.push(pool)
    return pool
  }

  it('reuses one Exchange for many requests, with one callback each', async () => {
    const server = await startServer((req, res) => res.writeHead(req.url === '/missing' ? 404 : 200).end('ok'))
    const pool = poolFor(server)
    const statuses: number[] = []
    await new Promise<void>((resolve) => {
      const paths = ['/a', '/missing', '/b']
      let i = 0
      const x = new Exchange((done) => {
        statuses.push(done.status)
        if (++i < paths.length) done.start(pool, { method: 'GET', path: paths[i]! })
        else resolve()
      })
      x.start(pool, { method: 'GET', path: paths[0]! })
    })
    expect(statuses).toEqual([200, 404, 200])
  })

  it('sends method, path, headers and body, and reports the status and times', async () => {
    const server = await startServer((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"liked":true,"likes":3}'))
    const pool = poolFor(server)
    const before = performance.now()
    const out = await send(pool, { method: 'POST', path: '/v1/posts/7/likes', headers: ['authorization', 'Bearer u1.sig', 'content-type', 'application/json'], body: '{"x":1}' })
    expect(out).toMatchObject({ status: 201, error: null, bytes: 24, body: undefined })
    expect(out.sentAt).toBeGreaterThanOrEqual(before)
    expect(out.endedAt).toBeGreaterThanOrEqual(out.sentAt)
    expect(server.received[0]).toMatchObject({ method: 'POST', url: '/v1/posts/7/likes', body: '{"x":1}' })
    expect(server.received[0]!.headers.authorization).toBe('Bearer u1.sig')
  })

  it('reads the body only when asked, up to the cap, and a UTF-8 body both ways', async () => {
    const pool = poolFor(await startServer((req, res) => res.writeHead(200).end(req.body || '{"id":7,"likes":42}')))
    expect((await send(pool, { ...GET, readBody: 1024 })).body).toBe('{"id":7,"likes":42}')
    expect((await send(pool, { ...GET, readBody: 5 })).body).toBe('{"id"')
    expect((await send(pool, GET)).body).toBeUndefined()
    expect((await send(pool, { method: 'POST', path: '/', body: 'j’aime 👍', readBody: 100 })).body).toBe('j’aime 👍')
  })

  it('drains an oversized body without losing the connection', async () => {
    const server = await bigBodyServer(3 * 1024 * 1024)
    const pool = poolFor(server, 2000, 1)
    const a = await send(pool, { ...GET, readBody: 100 })
    const b = await send(pool, GET)
    expect(a).toMatchObject({ status: 200, error: null, bytes: 3 * 1024 * 1024 })
    expect(a.body).toHaveLength(100)
    expect(b).toMatchObject({ status: 200, error: null, bytes: 3 * 1024 * 1024 })
    expect(server.connections).toBe(1)
  })

  it('keeps connections alive across requests, and never opens more than `connections`', async () => {
    const server = await startServer()
    const pool = poolFor(server, 2000, 4)
    for (let i = 0; i < 20; i++) expect((await send(pool, GET)).status).toBe(204)
    const burst = await Promise.all(Array.from({ length: 200 }, () => send(pool, GET)))
    expect(burst.every((o) => o.status === 204 && o.error === null)).toBe(true)
    expect(server.connections).toBeLessThanOrEqual(4)
    expect(server.received).toHaveLength(220)
  })

  it.each<[string, string, number, () => Promise<TestServer | string>]>([
    ['a refused port', 'refused', 0, refusedOrigin],
    ['a reset mid-body', 'reset', 200, resettingServer],
    ['a close mid-body', 'reset', 200, closingServer],
    ['a server that never answers', 'timeout', 0, hangingServer],
    ['a body that stalls', 'timeout', 200, stallingBodyServer],
    ['garbage bytes', 'protocol', 0, garbageServer],
  ])('turns %s into error "%s" (status %i) without throwing', async (_name, kind, status, start) => {
    const pool = poolFor(await start(), 300)
    const t0 = performance.now()
    const out = await send(pool, GET)
    expect(out).toMatchObject({ error: kind, status })
    if (kind === 'timeout') expect(out.endedAt - t0).toBeGreaterThanOrEqual(250)
  })

  it('reads a chunked body, and one split into single bytes', async () => {
    const chunked = poolFor(await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('hello, ')
      setTimeout(() => res.end('world'), 5)
    }))
    expect(await send(chunked, { ...GET, readBody: 100 })).toMatchObject({ status: 200, error: null, body: 'hello, world', bytes: 12 })
    const response = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-a: 1\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n'
    const slow = poolFor(await startRawServer((socket) => {
      socket.setNoDelay(true)
      let i = 0
      const next = () => i < response.length && socket.write(response[i++]!, () => setImmediate(next))
      next()
    }), 2000, 1)
    for (let k = 0; k < 2; k++) expect(await send(slow, { ...GET, readBody: 100 })).toMatchObject({ status: 200, error: null, body: 'abcde' })
  })

  it('follows Connection: close from the server with a new connection for the next request', async () => {
    const server = await startServer((_req, res) => res.writeHead(200, { connection: 'close', 'content-length': 2 }).end('ok'))
    const pool = poolFor(server, 2000, 1)
    for (let i = 0; i < 5; i++) expect(await send(pool, GET)).toMatchObject({ status: 200, error: null })
    expect(server.connections).toBe(5)
  })

  it('does not fail a request because the server closed an idle kept connection', async () => {
    // The server ends each connection 20 ms after answering, without announcing it.
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 204 No Content\r\n\r\n')
      setTimeout(() => socket.end(), 20)
    })
    const pool = poolFor(server, 2000, 1)
    for (let i = 0; i < 3; i++) {
      expect(await send(pool, GET)).toMatchObject({ status: 204, error: null })
      await new Promise((r) => setTimeout(r, 80))
    }
    expect(server.connections).toBe(3)
  })

  it('does not reuse a connection past the keep-alive timeout the server announced', async () => {
    // Keep-Alive: timeout=2 leaves nothing after undici's 2 s safety margin: a new connection each time.
    const server = await rawServer((socket) => socket.write('HTTP/1.1 204 No Content\r\nKeep-Alive: timeout=2\r\n\r\n'))
    const pool = poolFor(server, 2000, 1)
    for (let i = 0; i < 3; i++) expect(await send(pool, GET)).toMatchObject({ status: 204, error: null })
    expect(server.connections).toBe(3)
  })

  it('writes the same bytes as the other transport', async () => {
    const capture = await captureServer()
    servers.push(capture)
    const pool = poolFor(capture.origin, 2000, 1)
    for (const req of WIRE_REQUESTS) expect(await send(pool, req)).toMatchObject({ status: 204, error: null })
    expect(capture.text().replaceAll(capture.origin.slice(7), 'H').split('\r\n')).toEqual(WIRE.split('|'))
  })

  it('binds connections to localAddress', async () => {
    const server = await startServer()
    const pool = poolFor(server, 2000, 2, '127.0.0.2')
    await send(pool, GET)
    expect(server.received[0]!.remoteAddress).toBe('127.0.0.2')
  })

  it('reports requests on a destroyed pool, queued or in flight, as aborted', async () => {
    const server = await hangingServer()
    const pool = poolFor(server, 5000, 1)
    const pending = [send(pool, GET), send(pool, GET), send(pool, GET)]
    await new Promise((r) => setTimeout(r, 20))
    await pool.destroy()
    expect((await Promise.all(pending)).map((o) => o.error)).toEqual(['aborted', 'aborted', 'aborted'])
    expect((await send(pool, GET)).error).toBe('aborted')
    expect(server.connections).toBe(1)
  })

  it('stamps the send time when the request gets a connection, not when it was queued, in FIFO order', async () => {
    const server = await startServer((_req, res) => setTimeout(() => res.writeHead(204).end(), 50))
    const pool = poolFor(server, 2000, 1)
    const t0 = performance.now()
    const [first, second] = await Promise.all([send(pool, { ...GET, path: '/1' }), send(pool, { ...GET, path: '/2' })])
    expect(first!.sentAt - t0).toBeLessThan(40)
    expect(second!.sentAt).toBeGreaterThanOrEqual(first!.endedAt - 1)
    expect(server.received.map((r) => r.url)).toEqual(['/1', '/2'])
  })

  it('reads rate-limit headers for an Exchange that asks', async () => {
    const pool = poolFor(await startServer((_req, res) => res.writeHead(429, { 'retry-after': '3', 'ratelimit-remaining': '0' }).end()))
    const out = await new Promise<Outcome>((resolve) => {
      const x = new Exchange((done) => resolve({ ...done }))
      x.readRateHeaders = true
      x.start(pool, GET)
    })
    expect(out).toMatchObject({ status: 429, retryAfter: 3, remaining: 0 })
  })
})

/** WIRE_REQUESTS are sent through both transports; WIRE is the bytes both write for them (CRLF as |). */
const WIRE_REQUESTS: SendRequest[] = [
  { method: 'GET', path: '/a', headers: ['x-likebench-run', 'r1', 'authorization', 'Bearer t'] },
  { method: 'POST', path: '/b', headers: { 'content-type': 'application/json' }, body: '{"x":1}' },
  { method: 'POST', path: '/c' },
  { method: 'DELETE', path: '/d' },
  { method: 'PUT', path: '/e', body: Buffer.from('put') },
]
const WIRE = [
  'GET /a HTTP/1.1|host: H|connection: keep-alive|x-likebench-run: r1|authorization: Bearer t||',
  'POST /b HTTP/1.1|host: H|connection: keep-alive|content-type: application/json|content-length: 7||{"x":1}',
  'POST /c HTTP/1.1|host: H|connection: keep-alive|content-length: 0||',
  'DELETE /d HTTP/1.1|host: H|connection: keep-alive||',
  'PUT /e HTTP/1.1|host: H|connection: keep-alive|content-length: 3||put',
].join('')

/** captureServer keeps every byte it receives and answers 204 to each request head. */
async function captureServer(): Promise<TestServer & { text: () => string }> {
  let all = ''
  const server = net.createServer((socket) => {
    socket.on('data', (d) => {
      all += d.toString('latin1')
      for (let i = d.toString('latin1').split('\r\n\r\n').length - 1; i > 0; i--) socket.write('HTTP/1.1 204 No Content\r\n\r\n')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const sockets = new Set<net.Socket>()
  server.on('connection', (s) => void (sockets.add(s), s.on('close', () => sockets.delete(s))))
  return {
    origin: `http://127.0.0.1:${port}`, port, received: [], connections: 0, text: () => all,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()) }),
  }
}

/** unaccepting starts a listener (python3) with a full accept queue: connecting to it hangs. */
async function unaccepting(): Promise<{ origin: string; close: () => void }> {
  const py = spawn('python3', ['-c', 'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(10)'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const port = Number(await new Promise<string>((resolve) => py.stdout.once('data', (d) => resolve(String(d).trim()))))
  const filler = net.connect(port, '127.0.0.1').on('error', () => {}) // takes the only place in the queue
  await new Promise((r) => setTimeout(r, 50))
  return { origin: `http://127.0.0.1:${port}`, close: () => void (filler.destroy(), py.kill()) }
}

describe('FastPool sockets', () => {
  it("drives libuv's TCP handle directly for IP origins, and net.Socket for host names or when LIKEBENCH_FAST_SOCKET=net", () => {
    const make = (origin: string, localAddress?: string): FastPool => {
      const pool = new FastPool(origin, { connections: 1, timeoutMs: 1000, ...(localAddress ? { localAddress } : {}) })
      pools.push(pool)
      return pool
    }
    expect(make('http://127.0.0.1:1').raw).toBe(true) // Node 20's bindings: a future Node without them falls back to net.Socket
    expect(make('http://[::1]:1').raw).toBe(true)
    expect(make('http://localhost:1').raw).toBe(false)
    expect(make('http://127.0.0.1:1', '127.0.0.2').raw).toBe(true)
    expect(fastPool('net', 'http://127.0.0.1:1', { connections: 1, timeoutMs: 1000 }).raw).toBe(false)
  })

  it('reports a source address that cannot be bound, on both sockets alike', async () => {
    const server = await startServer()
    servers.push(server)
    for (const socket of ['raw', 'net'] as const) {
      const pool = fastPool(socket, server.origin, { connections: 1, timeoutMs: 1000, localAddress: '192.0.2.1' })
      pools.push(pool)
      expect(await failure(pool)).toBe('EADDRNOTAVAIL')
    }
    expect(server.connections).toBe(0)
  })
})

describe.each<[string, Socket]>([['FastPool', 'raw'], ['FastPool over net.Socket', 'net']])('%s', (_name, socket) => {
  const fast = (s: TestServer | string, timeoutMs = 2000, connections = 4): FastPool => {
    if (typeof s !== 'string') servers.push(s)
    const pool = fastPool(socket, typeof s === 'string' ? s : s.origin, { connections, timeoutMs })
    pools.push(pool)
    return pool
  }

  it('writes large bodies whole, including writes that complete later, and keeps the connection', async () => {
    // The server reads nothing for its first 200 ms and the bodies outgrow loopback's buffers
    // (8 MB did here), so writes complete later rather than at once; every request must still
    // arrive whole and in order. The server answers with what it got: `url bytes uniform`.
    let connections = 0
    const server = http.createServer((req, res) => {
      let n = 0
      let uniform = true
      let first = -1
      req.on('data', (d: Buffer) => {
        if (first < 0 && d.length > 0) first = d[0]!
        for (let i = 0; i < d.length && uniform; i += 4096) uniform = d[i] === first
        n += d.length
      })
      req.on('end', () => res.writeHead(200).end(`${req.url} ${n} ${uniform}`))
    })
    server.on('connection', (s: net.Socket) => {
      connections++
      s.pause()
      setTimeout(() => s.resume(), 200)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    servers.push({ origin: '', port, received: [], connections: 0, close: () => new Promise<void>((resolve) => server.close(() => resolve())) })
    const pool = fast(`http://127.0.0.1:${port}`, 5000, 1)
    const outs = await Promise.all([
      send(pool, { method: 'POST', path: '/a', body: 'x'.repeat(8_000_000), readBody: 40 }),
      send(pool, { method: 'POST', path: '/b', body: Buffer.alloc(8_000_000, 7), readBody: 40 }),
      send(pool, { method: 'POST', path: '/c', body: 'j’aime'.repeat(50_000), readBody: 40 }),
      send(pool, { method: 'POST', path: '/d', body: 'small', readBody: 40 }),
    ])
    expect(outs.map((o) => [o.status, o.error, o.body])).toEqual([
      [200, null, '/a 8000000 true'],
      [200, null, '/b 8000000 true'],
      [200, null, '/c 400000 false'],
      [200, null, '/d 5 true'],
    ])
    expect(connections).toBe(1)
  })

  it('is what createPool builds for http: origins', () => {
    const pool = createPool('http://127.0.0.1:1', { connections: 1, timeoutMs: 1000 })
    pools.push(pool)
    expect(pool).toBeInstanceOf(FastPool)
  })

  it.each<[string, string, string]>([
    ['an interim 100 and the response in one chunk', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok', 'ok'],
    ['a body until close', 'HTTP/1.1 200 OK\r\n\r\nuntil close', 'until close'],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\n1.0', '1.0'],
    ['bytes past the response', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n', 'ok'],
  ])('reads %s, and opens a new connection for the next request when needed', async (_name, response, body) => {
    const server = await rawServer((socket) => {
      socket.write(response)
      if (!response.includes('content-length')) socket.end()
    })
    const pool = fast(server, 2000, 1)
    for (let i = 0; i < 3; i++) expect(await send(pool, { ...GET, readBody: 100 })).toMatchObject({ status: 200, error: null, body })
  })

  it('answers HEAD without reading a body, then closes the connection as undici does', async () => {
    const server = await startServer((_req, res) => res.writeHead(200, { 'content-length': 2 }).end('ok'))
    const pool = fast(server, 2000, 1)
    expect(await send(pool, { method: 'HEAD', path: '/' })).toMatchObject({ status: 200, error: null, bytes: 0 })
    expect(await send(pool, GET)).toMatchObject({ status: 200, error: null, bytes: 2 })
    expect(server.connections).toBe(2)
  })

  it('fails with undici-compatible codes', async () => {
    expect(await failure(fast(await hangingServer(), 200))).toBe('UND_ERR_HEADERS_TIMEOUT')
    expect(await failure(fast(await stallingBodyServer(), 200))).toBe('UND_ERR_BODY_TIMEOUT')
    expect(await failure(fast(await closingServer()))).toBe('UND_ERR_SOCKET')
    expect(await failure(fast(await garbageServer()))).toBe('HPE_INVALID_CONSTANT')
    expect(await failure(fast(await refusedOrigin()))).toBe('ECONNREFUSED')
  })

  it.skipIf(spawnSync('python3', ['--version']).status !== 0)('times out a connection that is never accepted (UND_ERR_CONNECT_TIMEOUT)', async () => {
    const target = await unaccepting()
    try {
      const t0 = performance.now()
      expect(await failure(fast(target.origin, 300))).toBe('UND_ERR_CONNECT_TIMEOUT')
      expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
    } finally {
      target.close()
    }
  })

  it('refuses an invalid request at once, before any connection, as "other"', async () => {
    const server = await startServer()
    const pool = fast(server)
    let error: string | null = null
    new Exchange((x) => void (error = x.error)).start(pool, { method: 'GET', path: '/', headers: ['x', 'a\r\nb: c'] })
    expect(error).toBe('other') // already, synchronously, as undici does
    expect(server.connections).toBe(0)
  })

  it('calls back exactly once per request, whatever the server does', async () => {
    let n = 0
    const server = await rawServer((socket) => {
      const k = n++ % 6
      if (k === 0) socket.write('HTTP/1.1 204 No Content\r\n\r\n')
      else if (k === 1) socket.resetAndDestroy()
      else if (k === 2) socket.write('garbage\r\n\r\n')
      else if (k === 3) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nshort')
      else if (k === 4) socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n')
      // k === 5: never answers
    })
    const pool = fast(server, 150, 3)
    const calls = new Map<number, number>()
    await Promise.all(Array.from({ length: 120 }, (_, i) => new Promise<void>((resolve) => {
      const done = (): void => void (calls.set(i, (calls.get(i) ?? 0) + 1), setTimeout(resolve, 20))
      pool.dispatch({ method: 'GET', path: `/${i}` }, { onConnect() {}, onHeaders: () => true, onData: () => true, onComplete: done, onError: done })
    })))
    expect([...calls.values()].every((c) => c === 1)).toBe(true)
    expect(calls.size).toBe(120)
  })

  it('fails a request whose handler throws, with that error, once', async () => {
    const pool = fast(await startServer())
    const errors: Error[] = []
    await new Promise<void>((resolve) => {
      pool.dispatch({ method: 'GET', path: '/' }, {
        onConnect() {},
        onHeaders: () => { throw new Error('handler bug') },
        onComplete: () => resolve(),
        onError: (err: Error) => void (errors.push(err), resolve()),
      })
    })
    expect(errors.map((e) => e.message)).toEqual(['handler bug'])
  })

  it('closes gracefully: requests out finish, later ones are refused as aborted', async () => {
    const pool = fast(await startServer((_req, res) => setTimeout(() => res.writeHead(204).end(), 30)), 2000, 1)
    const out = [send(pool, GET), send(pool, GET)]
    await new Promise((r) => setTimeout(r, 5))
    const closed = pool.close()
    expect((await send(pool, GET)).error).toBe('aborted')
    expect((await Promise.all(out)).map((o) => o.status)).toEqual([204, 204])
    await closed
    expect(pool.destroyed).toBe(true)
  })

  it("serves undici's request() API too", async () => {
    const pool = fast(await startServer((_req, res) => res.writeHead(200, { 'x-a': '1' }).end('hi')))
    const r = await pool.request({ method: 'GET', path: '/' })
    expect([r.statusCode, r.headers['x-a'], await r.body.text()]).toEqual([200, '1', 'hi'])
  })
})

describe.each<[string, Socket]>([['FastPool read buffers', 'raw'], ['FastPool read buffers over net.Socket', 'net']])('%s', (_name, socket) => {
  it('keeps body bytes a handler holds intact while later reads arrive on the same connection', async () => {
    let n = 0
    const server = await startServer((_req, res) => {
      if (n++ % 2 === 1) return void res.writeHead(204).end()
      res.writeHead(200, { 'content-length': 4 * 20_000 })
      const parts = ['a', 'b', 'c', 'd'].map((c) => c.repeat(20_000))
      const next = (): void => void (parts.length > 0 ? res.write(parts.shift()!, () => setTimeout(next, 2)) : res.end())
      next()
    })
    servers.push(server)
    const pool = fastPool(socket, server.origin, { connections: 1, timeoutMs: 2000 })
    pools.push(pool)
    const want = ['a', 'b', 'c', 'd'].map((c) => c.repeat(20_000)).join('')
    for (let i = 0; i < 6; i++) {
      const out = await send(pool, { ...GET, readBody: 100_000 })
      expect(out.error).toBeNull()
      if (out.status === 200) expect(out.body === want, `request ${i}`).toBe(true)
    }
    expect(server.connections).toBe(1)
  })
})
