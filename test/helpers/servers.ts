/**
 * Loopback test servers (STYLE rule 10): real sockets on 127.0.0.1, port 0, each recording
 * what it received, plus misbehaving ones that reset, hang, answer garbage or send huge
 * bodies. Every server closes its open sockets on close(), so tests never wait on keep-alive.
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'

/** Received is one request as a capture server saw it. */
export interface Received {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: string
  /** performance.now() when the request's headers arrived. */
  at: number
  remoteAddress: string | undefined
}

/** TestServer is a listening loopback server. */
export interface TestServer {
  /** e.g. http://127.0.0.1:40123 */
  origin: string
  port: number
  /** Requests received so far (capture servers only). */
  received: Received[]
  /** Connections accepted so far. */
  connections: number
  close(): Promise<void>
}

/** Reply decides a capture server's answer to one request. */
export type Reply = (req: Received, res: http.ServerResponse) => void

/** listen starts a server on 127.0.0.1:0 and wraps it as a TestServer that kills its sockets on close. */
async function listen(server: net.Server, received: Received[]): Promise<TestServer> {
  const sockets = new Set<net.Socket>()
  const out: TestServer = { origin: '', port: 0, received, connections: 0, close: async () => {} }
  server.on('connection', (s: net.Socket) => {
    out.connections++
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  out.port = (server.address() as AddressInfo).port
  out.origin = `http://127.0.0.1:${out.port}`
  out.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
  return out
}

/** startServer starts a capture server; by default it answers 204 to everything. */
export async function startServer(reply: Reply = (_req, res) => res.writeHead(204).end()): Promise<TestServer> {
  const received: Received[] = []
  const server = http.createServer((req, res) => {
    const at = performance.now()
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
        at,
        remoteAddress: req.socket.remoteAddress,
      }
      received.push(r)
      reply(r, res)
    })
  })
  server.keepAliveTimeout = 30_000
  return listen(server, received)
}

/** startRawServer starts a TCP server that runs `onRequest` once it has read a request's head. */
export async function startRawServer(onRequest: (socket: net.Socket) => void): Promise<TestServer> {
  const server = net.createServer((socket) => {
    let head = ''
    socket.on('error', () => {})
    socket.on('data', (d) => {
      head += d.toString('latin1')
      if (head.includes('\r\n\r\n')) {
        head = ''
        onRequest(socket)
      }
    })
  })
  return listen(server, [])
}

/** refusedOrigin returns an origin where nothing listens (a port that was just released). */
export async function refusedOrigin(): Promise<string> {
  const s = await listen(net.createServer(), [])
  await s.close()
  return s.origin
}

/** resettingServer sends the head and part of a body, then resets the connection (TCP RST). */
export function resettingServer(): Promise<TestServer> {
  return startRawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\npartial')
    setTimeout(() => socket.resetAndDestroy(), 5)
  })
}

/** closingServer answers the head and part of the body, then closes the connection cleanly (FIN). */
export function closingServer(): Promise<TestServer> {
  return startRawServer((socket) => {
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\npartial')
  })
}

/** hangingServer reads requests and never answers. */
export function hangingServer(): Promise<TestServer> {
  return startRawServer(() => {})
}

/** stallingBodyServer sends a head and a first chunk, then nothing more. */
export function stallingBodyServer(): Promise<TestServer> {
  return startRawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nabc'))
}

/** garbageServer answers every request with bytes that are not HTTP. */
export function garbageServer(): Promise<TestServer> {
  return startRawServer((socket) => socket.write('SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02garbage\r\n\r\n'))
}

/** bigBodyServer answers 200 with a body of `bytes` bytes, in 64 KiB chunks. */
export function bigBodyServer(bytes: number): Promise<TestServer> {
  const chunk = Buffer.alloc(64 * 1024, 'x')
  return startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': bytes })
    let left = bytes
    while (left > 0) {
      res.write(left >= chunk.length ? chunk : chunk.subarray(0, left))
      left -= chunk.length
    }
    res.end()
  })
}
