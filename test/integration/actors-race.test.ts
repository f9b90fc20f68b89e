import http from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { RaceClient } from '../../src/transport/race.js'
import type { Outcome, SendRequest } from '../../src/transport/send.js'
import { closingServer, garbageServer, hangingServer, refusedOrigin, resettingServer, startRawServer, startServer, type TestServer } from '../helpers/servers.js'

const LIKE: SendRequest = { method: 'POST', path: '/v1/posts/7/likes', headers: ['authorization', 'Bearer u1.sig', 'x-likebench-group', '3'], body: null }

let servers: TestServer[] = []
let clients: RaceClient[] = []
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all(servers.map((s) => s.close()))
  clients = []
  servers = []
})

function client(origin: string, opts: Partial<ConstructorParameters<typeof RaceClient>[1]> = {}): RaceClient {
  const c = new RaceClient(origin, { timeoutMs: 2000, settleMs: 5, ...opts })
  clients.push(c)
  return c
}
async function serve(s: Promise<TestServer>): Promise<TestServer> {
  const server = await s
  servers.push(server)
  return server
}

/** burst races `n` copies of `req` and resolves with the outcomes in request order. */
function burst(c: RaceClient, req: SendRequest, n: number): Promise<Outcome[]> {
  return new Promise((resolve) => {
    const out = new Array<Outcome>(n)
    let left = n
    c.burst(Array.from({ length: n }, () => req), (i, r) => {
      expect(out[i]).toBeUndefined() // exactly once per request
      out[i] = r
      if (--left === 0) resolve(out)
    })
  })
}

describe('race bursts over raw sockets', () => {
  it('sends every copy, whole, and releases them together', async () => {
    const s = await serve(startServer((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"liked":true}')))
    const before = performance.now()
    const out = await burst(client(s.origin), LIKE, 8)
    expect(out.map((r) => [r.status, r.error, r.bytes])).toEqual(Array(8).fill([201, null, 14]))
    expect(s.received).toHaveLength(8)
    for (const r of s.received) {
      expect(r).toMatchObject({ method: 'POST', url: '/v1/posts/7/likes', body: '' })
      expect(r.headers).toMatchObject({ authorization: 'Bearer u1.sig', 'x-likebench-group': '3', 'content-length': '0', host: s.origin.slice(7) })
    }
    const sent = out.map((r) => r.sentAt)
    expect(Math.min(...sent)).toBeGreaterThan(before + 4) // after the settle
    expect(Math.max(...sent) - Math.min(...sent)).toBeLessThan(20) // one release loop (loose: a busy CI machine)
    for (const r of out) expect(r.endedAt).toBeGreaterThanOrEqual(r.sentAt)
  })

  it('keeps its connections warm for the next burst', async () => {
    const s = await serve(startServer())
    const c = client(s.origin)
    await c.warm(4)
    for (let i = 0; i < 3; i++) expect((await burst(c, LIKE, 4)).every((r) => r.status === 204)).toBe(true)
    expect(s.connections).toBe(4)
    expect((await burst(c, LIKE, 6)).every((r) => r.status === 204)).toBe(true)
    expect(s.connections).toBe(6)
  })

  it('replaces connections the target closes, without failing a request', async () => {
    const s = await serve(startServer((_req, res) => res.writeHead(200, { connection: 'close', 'content-length': '2' }).end('ok')))
    const c = client(s.origin)
    for (let i = 0; i < 3; i++) expect((await burst(c, LIKE, 3)).map((r) => r.status)).toEqual([200, 200, 200])
    expect(s.connections).toBe(9)
  })

  it('reports a request answered before its release, and never reuses that connection', async () => {
    // The target refuses the body from the head alone, before the held-back byte is sent.
    const s = await serve(startRawServer((socket) => socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n')))
    const c = client(s.origin)
    const body = { ...LIKE, body: '{"pad":"xx"}' }
    for (let i = 0; i < 2; i++) expect((await burst(c, body, 2)).map((r) => [r.status, r.error])).toEqual([[413, null], [413, null]])
    expect(s.connections).toBe(4)
  })

  it('reads chunked bodies, and keeps the body when asked', async () => {
    const s = await serve(startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"id":7,')
      res.end('"likes":42}')
    }))
    const out = await burst(client(s.origin), { ...LIKE, method: 'GET', path: '/v1/posts/7', readBody: 100 }, 2)
    expect(out.map((r) => [r.status, r.bytes, r.body])).toEqual(Array(2).fill([200, 19, '{"id":7,"likes":42}']))
  })

  it('binds its connections to a local address', async () => {
    const s = await serve(startServer())
    await burst(client(s.origin, { localAddress: '127.0.0.3' }), LIKE, 3)
    expect(s.received.map((r) => r.remoteAddress)).toEqual(['127.0.0.3', '127.0.0.3', '127.0.0.3'])
  })

  it.each([
    ['refused', async () => ({ origin: await refusedOrigin() })],
    ['reset', () => serve(resettingServer())],
    ['reset', () => serve(closingServer())],
    ['protocol', () => serve(garbageServer())],
  ] as const)('reports a %s failure as data, once per request', async (kind, start) => {
    const { origin } = await start()
    const out = await burst(client(origin), LIKE, 3)
    expect(out.map((r) => r.error)).toEqual([kind, kind, kind])
  })

  it('times out a target that never answers, and aborts what is left on close', async () => {
    const s = await serve(hangingServer())
    const timedOut = await burst(client(s.origin, { timeoutMs: 100 }), LIKE, 2)
    expect(timedOut.map((r) => r.error)).toEqual(['timeout', 'timeout'])
    const c = client(s.origin)
    const pending = burst(c, LIKE, 2)
    await new Promise((r) => setTimeout(r, 50))
    await c.close()
    expect((await pending).map((r) => r.error)).toEqual(['aborted', 'aborted'])
    expect((await burst(c, LIKE, 1))[0]!.error).toBe('aborted')
  })

  it('refuses https, which needs TLS records kept apart', () => {
    expect(() => new RaceClient('https://127.0.0.1:1', { timeoutMs: 100 })).toThrow(/plain HTTP/)
  })
})

describe('race bursts and the server keep-alive timeout', () => {
  it('reads the announced timeout and does not reuse a connection past it', async () => {
    const server = http.createServer((_req, res) => res.writeHead(204).end())
    server.keepAliveTimeout = 1000 // announced as Keep-Alive: timeout=1; kept connections are then never trusted idle
    const s = await serve(new Promise<TestServer>((resolve) => server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port
      let connections = 0
      server.on('connection', () => connections++)
      resolve({ origin: `http://127.0.0.1:${port}`, port, received: [], get connections() { return connections }, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()) }) })
    })))
    const c = client(s.origin)
    await burst(c, LIKE, 2)
    await new Promise((r) => setTimeout(r, 1100))
    expect((await burst(c, LIKE, 2)).map((r) => r.error)).toEqual([null, null])
  })
})
