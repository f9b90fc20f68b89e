/**
 * Small node:http helpers of the reference target: JSON responses, a capped body reader and
 * the client address (the socket's, or a forwarding header's under the trust-forwarded flaw).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

/** MAX_BODY_BYTES is the largest request body accepted; more is answered 413. */
export const MAX_BODY_BYTES = 16 * 1024

/** sendJson answers with a JSON body and any extra headers (flat name/value pairs). */
export function sendJson(res: ServerResponse, status: number, body: string, extra: string[] = []): void {
  extra.push('Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body)))
  res.writeHead(status, extra)
  res.end(body)
}

/** sendError answers with `{ error, message }`; a 413 also closes the connection, as its unread body may be huge. */
export function sendError(res: ServerResponse, status: number, error: string, message: string, extra: string[] = []): void {
  if (status === 413) res.shouldKeepAlive = false
  sendJson(res, status, JSON.stringify({ error, message }), extra)
}

/** declaresBody says whether a request announces a body (a non-zero Content-Length, or chunked). */
export function declaresBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length']
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined
}

/** declaresTooLarge says whether Content-Length already exceeds the cap, so the body need not be read. */
export function declaresTooLarge(req: IncomingMessage): boolean {
  const len = req.headers['content-length']
  return len !== undefined && Number(len) > MAX_BODY_BYTES
}

/** TOO_LARGE is what readBody returns when the body passed the cap. */
export const TOO_LARGE = Symbol('too large')

/** readBody reads the request body up to MAX_BODY_BYTES, or returns TOO_LARGE as soon as it passes the cap. */
export function readBody(req: IncomingMessage): Promise<string | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data')
        req.pause()
        resolve(TOO_LARGE)
      } else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** isJson says whether text parses as JSON. */
export function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** socketIp returns the peer address of the request's socket, with IPv4-mapped IPv6 unwrapped. */
export function socketIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? 'unknown'
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip
}

/**
 * forwardedIp returns the client address a proxy header claims: the leftmost
 * X-Forwarded-For entry, else X-Real-IP, else the first `for=` of Forwarded. Any client can
 * write these headers, which is why only the trust-forwarded flaw reads them.
 */
export function forwardedIp(req: IncomingMessage): string | undefined {
  const xff: string | string[] | undefined = req.headers['x-forwarded-for']
  const first = Array.isArray(xff) ? xff[0] : xff
  if (first) return first.split(',')[0]!.trim() || undefined
  const real = req.headers['x-real-ip']
  if (typeof real === 'string' && real.trim()) return real.trim()
  const fwd = req.headers['forwarded']
  const m = fwd === undefined ? null : /for=\s*"?\[?([^\]";,\s]+)/i.exec(fwd)
  return m ? m[1] : undefined
}
