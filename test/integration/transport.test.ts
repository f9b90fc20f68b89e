import { afterEach, describe, expect, it } from 'vitest'
import type { Pool } from 'undici'
import { createPool } from '../../src/transport/pool.js'
import { Exchange, send, type SendRequest } from '../../src/transport/send.js'
import {
  bigBodyServer,
  closingServer,
  garbageServer,
  hangingServer,
  refusedOrigin,
  resettingServer,
  stallingBodyServer,
  startServer,
  type TestServer,
} from '../helpers/servers.js'

const GET: SendRequest = { method: 'GET', path: '/v1/posts/7' }

let servers: TestServer[] = []
let pools: Pool[] = []

/** use registers a server and a pool to it for cleanup, and returns the pool. */
function poolFor(s: TestServer | string, timeoutMs = 2000, connections = 4): Pool {
  if (typeof s !== 'string') servers.push(s)
  const pool = createPool(typeof s === 'string' ? s : s.origin, { connections, timeoutMs })
  pools.push(pool)
  return pool
}

afterEach(async () => {
  await Promise.all(pools.map((p) => p.destroy()))
  await Promise.all(servers.map((s) => s.close()))
  pools = []
  servers = []
})

describe('send against real loopback servers', () => {
  it('sends method, path, headers and body, and reports the status and times', async () => {
    const server = await startServer((_req, res) => res.writeHead(201, { 'content-type': 'application/json' }).end('{"liked":true,"likes":3}'))
    const pool = poolFor(server)
    const before = performance.now()
    const out = await send(pool, {
      method: 'POST',
      path: '/v1/posts/7/likes',
      headers: ['authorization', 'Bearer u1.sig', 'content-type', 'application/json'],
      body: '{"x":1}',
    })
    expect(out).toMatchObject({ status: 201, error: null, bytes: 24, body: undefined })
    expect(out.sentAt).toBeGreaterThanOrEqual(before)
    expect(out.endedAt).toBeGreaterThanOrEqual(out.sentAt)
    expect(server.received).toHaveLength(1)
    expect(server.received[0]).toMatchObject({ method: 'POST', url: '/v1/posts/7/likes', body: '{"x":1}' })
    expect(server.received[0]!.headers.authorization).toBe('Bearer u1.sig')
  })

  it('reads the body only when asked, up to the cap', async () => {
    const pool = poolFor(await startServer((_req, res) => res.writeHead(200).end('{"id":7,"likes":42}')))
    expect((await send(pool, { ...GET, readBody: 1024 })).body).toBe('{"id":7,"likes":42}')
    expect((await send(pool, { ...GET, readBody: 5 })).body).toBe('{"id"')
    expect((await send(pool, GET)).body).toBeUndefined()
  })

  it('drains an oversized body without losing the connection', async () => {
    const server = await bigBodyServer(3 * 1024 * 1024)
    const pool = poolFor(server, 2000, 1)
    const a = await send(pool, { ...GET, readBody: 100 })
    const b = await send(pool, GET)
    expect(a).toMatchObject({ status: 200, error: null, bytes: 3 * 1024 * 1024 })
    expect(a.body).toHaveLength(100)
    expect(b).toMatchObject({ status: 200, error: null, bytes: 3 * 1024 * 1024 })
    expect(server.connections).toBe(1) // body.dump() past its limit would have cost a reconnect
  })

  it('keeps connections alive across requests', async () => {
    const server = await startServer()
    const pool = poolFor(server, 2000, 2)
    for (let i = 0; i < 20; i++) expect((await send(pool, GET)).status).toBe(204)
    expect(server.connections).toBeLessThanOrEqual(2)
    expect(server.received).toHaveLength(20)
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
    expect(out.endedAt).toBeGreaterThanOrEqual(t0)
    if (kind === 'timeout') expect(out.endedAt - t0).toBeGreaterThanOrEqual(250)
  })

  it('reports requests on a destroyed pool as aborted, not as target errors', async () => {
    const pool = poolFor(await hangingServer(), 5000)
    const pending = send(pool, GET)
    await new Promise((r) => setTimeout(r, 20))
    await pool.destroy()
    expect((await pending).error).toBe('aborted')
    expect((await send(pool, GET)).error).toBe('aborted')
  })
})

describe('Exchange', () => {
  it('is reusable: one handler object, many requests, one callback each', async () => {
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

  it('stamps the send time when the request gets a connection, not when it was queued', async () => {
    const server = await startServer((_req, res) => setTimeout(() => res.writeHead(204).end(), 50))
    const pool = poolFor(server, 2000, 1)
    const t0 = performance.now()
    const [first, second] = await Promise.all([send(pool, GET), send(pool, GET)])
    // One connection: the second waits for the first to finish before it is written.
    expect(first!.sentAt - t0).toBeLessThan(40)
    expect(second!.sentAt).toBeGreaterThanOrEqual(first!.endedAt - 1)
    expect(second!.endedAt - second!.sentAt).toBeLessThan(first!.endedAt - t0 + 40)
  })
})
