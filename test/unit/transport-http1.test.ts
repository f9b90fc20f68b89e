import { describe, expect, it } from 'vitest'
import { classify } from '../../src/transport/classify.js'
import { FAILED, NEED_MORE, ResponseParser, TransportError, type ResponseSink } from '../../src/transport/http1.js'

/** Parsed is what a sink saw of one response. */
interface Parsed {
  status: number
  raw: string[]
  text: string
  body: string
  done: boolean
  keepAlive: boolean
  error: string
}

/** parse feeds `pieces` to a fresh parser, as separate chunks, and says what came out (closing at the end when `close`). */
function parse(pieces: readonly (string | Buffer)[], opts: { noBody?: boolean; close?: boolean } = {}): Parsed {
  const out: Parsed = { status: 0, raw: [], text: '', body: '', done: false, keepAlive: false, error: '' }
  const sink: ResponseSink = {
    onHead: (status, raw, text) => Object.assign(out, { status, raw, text }),
    onBody: (b) => void (out.body += b.toString('latin1')),
  }
  const p = new ResponseParser(sink)
  p.reset(opts.noBody ?? false)
  for (const piece of pieces) {
    const r = p.execute(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece)
    if (r === FAILED) return { ...out, error: p.errorCode }
    if (r >= 0) return { ...out, done: true, keepAlive: p.keepAlive }
  }
  if (opts.close && p.finish()) return { ...out, done: true, keepAlive: p.keepAlive }
  return out
}

/** splits returns `text` cut into two pieces at every position (every 97th for long texts), and into single bytes. */
function splits(text: string): string[][] {
  const out = [[text], [...text]]
  const step = text.length > 2000 ? 97 : 1
  for (let i = 1; i < text.length; i += step) out.push([text.slice(0, i), text.slice(i)])
  return out
}

const RESPONSES: Array<[string, string, Partial<Parsed>, { noBody?: boolean; close?: boolean }?]> = [
  ['204 from nginx', 'HTTP/1.1 204 No Content\r\nServer: nginx/1.22.1\r\nDate: Tue, 24 Nov 2026 22:00:00 GMT\r\nConnection: keep-alive\r\n\r\n', { status: 204, body: '', keepAlive: true, text: 'No Content' }],
  ['content-length body', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello', { status: 200, body: 'hello', keepAlive: true }],
  ['chunked with extensions and trailers', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n', { status: 200, body: 'hello, world!!!' }],
  ['an interim 100 before the response', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok', { status: 201, body: 'ok' }],
  ['HEAD: a length but no body', 'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n', { status: 200, body: '' }, { noBody: true }],
  ['304 with a length', 'HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n', { status: 304, body: '' }],
  ['a body until close', 'HTTP/1.1 200 OK\r\n\r\nall of it', { status: 200, body: 'all of it', keepAlive: false }, { close: true }],
  ['HTTP/1.0 keep-alive', 'HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx', { status: 200, body: 'x', keepAlive: true }],
  ['HTTP/1.0 default close', 'HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx', { status: 200, body: 'x', keepAlive: false }],
  ['Connection: close', 'HTTP/1.1 200 OK\r\nconnection: upgrade, close\r\ncontent-length: 0\r\n\r\n', { status: 200, keepAlive: false }],
  ['a head longer than the KiB searched as a string', `HTTP/1.1 200 OK\r\nx-long: ${'v'.repeat(1500)}\r\ncontent-length: 2\r\n\r\nok`, { status: 200, body: 'ok' }],
  ['stray CRLF before the status line, no reason phrase', '\r\nHTTP/1.1 404\r\ncontent-length: 0\r\n\r\n', { status: 404, text: '' }],
]

describe('ResponseParser', () => {
  it.each(RESPONSES)('%s, split at every byte', (_name, text, want, opts) => {
    for (const pieces of splits(text)) expect(parse(pieces, opts), JSON.stringify(pieces)).toMatchObject({ ...want, done: true, error: '' })
  })

  it('hands over raw headers as latin1 strings, values trimmed', () => {
    const r = parse(['HTTP/1.1 429 Too Many Requests\r\nRetry-After:  3 \r\nRateLimit-Remaining:\t0\r\ncontent-length: 0\r\n\r\n'])
    expect(r.raw).toEqual(['Retry-After', '3', 'RateLimit-Remaining', '0', 'content-length', '0'])
  })

  it('reads the announced keep-alive timeout', () => {
    const p = new ResponseParser({ onHead: () => {}, onBody: () => {} })
    p.reset(false)
    expect(p.execute(Buffer.from('HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\ncontent-length: 0\r\n\r\n'))).toBeGreaterThan(0)
    expect(p.keepAliveMs).toBe(5000)
  })

  it('passes body pieces as views of the received chunk, not copies', () => {
    const chunk = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc')
    const seen: Buffer[] = []
    const p = new ResponseParser({ onHead: () => {}, onBody: (b) => void seen.push(b) })
    p.reset(false)
    p.execute(chunk)
    expect(seen[0]!.buffer).toBe(chunk.buffer)
    expect(seen[0]!.toString()).toBe('abc')
  })

  it('parses several responses in one buffer, each from where the last ended', () => {
    const both = Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n')
    const got: Array<[number, string]> = []
    const p = new ResponseParser({ onHead: (s) => void got.push([s, '']), onBody: (b) => void (got[got.length - 1]![1] += b.toString()) })
    p.reset(false)
    const end = p.execute(both)
    expect(end).toBeGreaterThan(0)
    p.reset(false)
    expect(p.execute(both, end)).toBe(both.length)
    expect(got).toEqual([[200, 'ok'], [404, 'no']])
  })

  it('waits for more when the head or body is incomplete', () => {
    const p = new ResponseParser({ onHead: () => {}, onBody: () => {} })
    p.reset(false)
    expect(p.execute(Buffer.from('HTTP/1.1 200 OK\r\ncontent-le'))).toBe(NEED_MORE)
    expect(p.inBody).toBe(false)
    expect(p.execute(Buffer.from('ngth: 4\r\n\r\nab'))).toBe(NEED_MORE)
    expect(p.inBody).toBe(true)
    expect(p.finish()).toBe(false) // a close now cuts the body short
  })

  it.each<[string, string, string]>([
    ['not HTTP at all', 'HPE_INVALID_CONSTANT', 'SSH-2.0-OpenSSH_9.2\r\n'],
    ['garbage with a blank line', 'HPE_INVALID_CONSTANT', 'garbage\r\n\r\n'],
    ['HTTP/2 preface answer', 'HPE_INVALID_CONSTANT', 'HTTP/2 200\r\n\r\n'],
    ['HTTP/1.2', 'HPE_INVALID_VERSION', 'HTTP/1.2 200 OK\r\n\r\n'],
    ['a two-digit status', 'HPE_INVALID_STATUS', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['a status glued to its reason', 'HPE_INVALID_STATUS', 'HTTP/1.1 200OK\r\n\r\n'],
    ['an unrequested upgrade', 'HPE_INVALID_STATUS', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
    ['a header without a colon', 'HPE_INVALID_HEADER_TOKEN', 'HTTP/1.1 200 OK\r\nnocolon\r\n\r\n'],
    ['a space before the colon', 'HPE_INVALID_HEADER_TOKEN', 'HTTP/1.1 200 OK\r\ncontent-length : 1\r\n\r\nx'],
    ['an obs-fold line', 'HPE_INVALID_HEADER_TOKEN', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded: 2\r\n\r\n'],
    ['a bare LF in a header', 'HPE_LF_EXPECTED', 'HTTP/1.1 200 OK\r\nx-a: 1\nx-b: 2\r\n\r\n'],
    ['a non-numeric length', 'HPE_INVALID_CONTENT_LENGTH', 'HTTP/1.1 200 OK\r\ncontent-length: 1e3\r\n\r\n'],
    ['conflicting lengths', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n'],
    ['a length with chunking', 'HPE_UNEXPECTED_CONTENT_LENGTH', 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\ntransfer-encoding: chunked\r\n\r\n'],
    ['a bad chunk size', 'HPE_INVALID_CHUNK_SIZE', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk size too large', 'HPE_INVALID_CHUNK_SIZE', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1000000000000\r\n'],
    ['a chunk overrunning its size', 'HPE_STRICT', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n'],
    ['a head without end', 'UND_ERR_HEADERS_OVERFLOW', `HTTP/1.1 200 OK\r\n${'x-pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(400)}`],
  ])('refuses %s with %s, split anywhere', (_name, code, text) => {
    for (const pieces of splits(text)) expect(parse(pieces).error, JSON.stringify(pieces.length)).toBe(code)
  })

  it('fails early on bytes that cannot start a status line', () => {
    expect(parse(['S']).error).toBe('HPE_INVALID_CONSTANT')
  })

  it('its error codes classify as protocol errors', () => {
    for (const code of ['HPE_INVALID_CONSTANT', 'HPE_LF_EXPECTED', 'HPE_STRICT', 'UND_ERR_HEADERS_OVERFLOW']) {
      expect(classify(new TransportError('x', code))).toBe('protocol')
    }
  })
})
