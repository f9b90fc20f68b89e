/**
 * Test helpers for the reference like-API: start one in-process on 127.0.0.1:0 and speak to
 * it over real HTTP.
 */
import { connect, type Socket } from 'node:net'
import type { Clock } from '../../src/target/limiter.js'
import { resolveTargetConfig, type RawTargetOptions } from '../../src/target/options.js'
import { createTargetServer, type TargetServer } from '../../src/target/server.js'
import { signToken } from '../../src/target/token.js'

/** TestTarget is a listening in-process target plus a token minter. */
export interface TestTarget {
  url: string
  target: TargetServer
  token(user: string): string
  close(): Promise<void>
}

/** startTestTarget starts a target with a fixed secret (and an optional fake clock) on an ephemeral port. */
export async function startTestTarget(raw: RawTargetOptions = {}, clock?: Clock): Promise<TestTarget> {
  const config = resolveTargetConfig({ secret: 'test-secret', ...raw })
  const target = createTargetServer(config, clock ? { clock } : {})
  const url = await target.listen(0, '127.0.0.1')
  return { url, target, token: (u) => signToken(config.secret, u), close: () => target.close() }
}

/** Reply is a response with its body parsed as JSON when it is JSON. */
export interface Reply {
  status: number
  headers: Headers
  json: any
  text: string
}

/** CallOptions are what a test request carries. */
export interface CallOptions {
  token?: string
  headers?: Record<string, string>
  body?: string
}

/** call sends one request and reads the whole reply. */
export async function call(url: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers }
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
  const res = await fetch(url + path, { method, headers, ...(opts.body === undefined ? {} : { body: opts.body }) })
  const text = await res.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, json, text }
}

/** statuses counts replies by status code. */
export function statuses(replies: Reply[]): Record<number, number> {
  const out: Record<number, number> = {}
  for (const r of replies) out[r.status] = (out[r.status] ?? 0) + 1
  return out
}

/**
 * socketBurst connects `n` sockets, lets the server accept them, then writes the same raw
 * request on all of them in one loop (a race burst, as the race engine sends it) and
 * collects the status codes.
 */
export async function socketBurst(url: string, n: number, raw: string): Promise<number[]> {
  const { port } = new URL(url)
  const sockets = await Promise.all(
    Array.from({ length: n }, () => new Promise<Socket>((resolve, reject) => {
      const s = connect(Number(port), '127.0.0.1', () => resolve(s)).on('error', reject)
      s.setNoDelay(true)
    })),
  )
  await new Promise((r) => setTimeout(r, 20)) // settle: the server has set the connections up
  const replies = sockets.map((s) => new Promise<number>((resolve) => {
    s.once('data', (d: Buffer) => {
      resolve(Number(d.toString('latin1').slice(9, 12)))
      s.destroy()
    })
  }))
  for (const s of sockets) s.write(raw)
  return Promise.all(replies)
}
