import { describe, expect, it } from 'vitest'
import { ResponseParser, serialize } from '../../src/transport/race.js'

/** feed pushes `text` in pieces cut at `cuts` and returns the step at which the parser said done (-1: never). */
function feed(p: ResponseParser, text: string | Buffer, cuts: number[] = []): number {
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1')
  const at = [0, ...cuts, buf.length]
  for (let i = 1; i < at.length; i++) if (p.push(buf.subarray(at[i - 1], at[i]))) return i - 1
  return -1
}

function parser(cap = 0, head = false): ResponseParser {
  const p = new ResponseParser()
  p.reset(cap, head)
  return p
}

describe('serialize', () => {
  it('renders HTTP/1.1 with host, the headers in order and an explicit content-length', () => {
    const bytes = serialize({ method: 'POST', path: '/v1/posts/7/likes', headers: ['authorization', 'Bearer u1.x', 'x-likebench-run', 'r1'], body: null }, '127.0.0.1:8080')
    expect(bytes.toString()).toBe('POST /v1/posts/7/likes HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nauthorization: Bearer u1.x\r\nx-likebench-run: r1\r\ncontent-length: 0\r\n\r\n')
    const withBody = serialize({ method: 'PUT', path: '/x', headers: { 'content-type': 'application/json', 'Content-Length': '999' }, body: '{"a":"é"}' }, 'h')
    expect(withBody.toString()).toBe('PUT /x HTTP/1.1\r\nhost: h\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n{"a":"é"}')
    expect(serialize({ method: 'GET', path: '/' }, 'h').toString()).toBe('GET / HTTP/1.1\r\nhost: h\r\n\r\n')
  })

  it('refuses what would smuggle bytes into the request', () => {
    expect(() => serialize({ method: 'GET', path: '/a b' }, 'h')).toThrow()
    expect(() => serialize({ method: 'GET', path: '/', headers: ['x', 'a\r\nx-evil: 1'] }, 'h')).toThrow()
    expect(() => serialize({ method: 'GET', path: '/', headers: ['bad name', 'v'] }, 'h')).toThrow()
  })
})

describe('ResponseParser', () => {
  const fixed = 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 24\r\nKeep-Alive: timeout=5\r\n\r\n{"liked":true,"likes":3}'

  it('reads a Content-Length response, whole or cut anywhere', () => {
    for (let cut = 1; cut < fixed.length; cut++) {
      const p = parser(1024)
      expect(feed(p, fixed, [cut])).toBe(1)
      expect(p).toMatchObject({ status: 201, bytes: 24, keepAlive: true, keepAliveMs: 5000 })
      expect(p.text()).toBe('{"liked":true,"likes":3}')
    }
  })

  it('reads a chunked body cut at every byte, skipping a 100 Continue, and keeps only `cap` bytes', () => {
    const text = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n'
    for (let cut = 1; cut < text.length; cut++) {
      const p = parser(8)
      expect(feed(p, text, [cut])).toBe(1)
      expect(p).toMatchObject({ status: 200, bytes: 12, keepAlive: true })
      expect(p.text()).toBe('hello, w')
    }
    const bytewise = parser()
    expect(feed(bytewise, text, Array.from({ length: text.length - 1 }, (_, i) => i + 1))).toBe(text.length - 1)
    expect(bytewise.text()).toBeUndefined()
  })

  it('ends a HEAD, 204 or 304 response at its head', () => {
    expect(feed(parser(0, true), 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n')).toBe(0)
    expect(feed(parser(), 'HTTP/1.1 204 No Content\r\n\r\n')).toBe(0)
    expect(feed(parser(), 'HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n')).toBe(0)
  })

  it('reads an undelimited body until the close, and never reuses that connection', () => {
    const p = parser(100)
    expect(feed(p, 'HTTP/1.0 200 OK\r\n\r\nsome body')).toBe(-1)
    expect(p.endOfStream()).toBe(true)
    expect(p).toMatchObject({ status: 200, bytes: 9, keepAlive: false })
    expect(p.text()).toBe('some body')
    const cut = parser()
    feed(cut, 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')
    expect(cut.endOfStream()).toBe(false)
  })

  it('honours Connection: close and distrusts bytes past the response', () => {
    const p = parser()
    feed(p, 'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    expect(p).toMatchObject({ status: 429, keepAlive: false })
    const extra = parser()
    expect(feed(extra, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200')).toBe(0)
    expect(extra.keepAlive).toBe(false)
  })

  it.each([
    ['not HTTP', 'SSH-2.0-OpenSSH_9.2\r\n\r\n'],
    ['a bad header line', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'],
    ['conflicting lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
  ])('throws on %s', (_what, text) => {
    expect(() => feed(parser(), text)).toThrow()
  })

  it('is reusable for the next response on the connection', () => {
    const p = parser()
    feed(p, fixed)
    p.reset(0, false)
    expect(feed(p, 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc')).toBe(0)
    expect(p).toMatchObject({ status: 200, bytes: 3 })
  })
})
