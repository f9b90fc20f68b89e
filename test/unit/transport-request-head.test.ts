import { describe, expect, it } from 'vitest'
import { classify } from '../../src/transport/classify.js'
import { RequestWriter, type RequestLike } from '../../src/transport/request-head.js'

const HOST = 'host: 127.0.0.1:8080\r\n'

describe('RequestWriter', () => {
  it.each<[string, RequestLike, string]>([
    ['a GET', { method: 'GET', path: '/v1/posts/7' }, `GET /v1/posts/7 HTTP/1.1\r\n${HOST}connection: keep-alive\r\n\r\n`],
    ['headers in order, names as given', { method: 'GET', path: '/', headers: ['Authorization', 'Bearer u1', 'x-likebench-run', 'r1'] }, `GET / HTTP/1.1\r\n${HOST}connection: keep-alive\r\nAuthorization: Bearer u1\r\nx-likebench-run: r1\r\n\r\n`],
    ['a record of headers', { method: 'GET', path: '/', headers: { a: '1', b: ['2', '3'], c: undefined } }, `GET / HTTP/1.1\r\n${HOST}connection: keep-alive\r\na: 1\r\nb: 2\r\nb: 3\r\n\r\n`],
    ['a POST with an ASCII body, in the same string', { method: 'POST', path: '/likes', body: '{"x":1}' }, `POST /likes HTTP/1.1\r\n${HOST}connection: keep-alive\r\ncontent-length: 7\r\n\r\n{"x":1}`],
    ['a POST without a body', { method: 'POST', path: '/likes' }, `POST /likes HTTP/1.1\r\n${HOST}connection: keep-alive\r\ncontent-length: 0\r\n\r\n`],
    ['a DELETE without a body (no length, as undici)', { method: 'DELETE', path: '/likes/1' }, `DELETE /likes/1 HTTP/1.1\r\n${HOST}connection: keep-alive\r\n\r\n`],
    ['an empty body is no body', { method: 'PUT', path: '/x', body: '' }, `PUT /x HTTP/1.1\r\n${HOST}connection: keep-alive\r\ncontent-length: 0\r\n\r\n`],
    ['HEAD closes after', { method: 'HEAD', path: '/' }, `HEAD / HTTP/1.1\r\n${HOST}connection: close\r\n\r\n`],
    ['a connection: close header', { method: 'GET', path: '/', headers: ['Connection', 'close'] }, `GET / HTTP/1.1\r\n${HOST}connection: close\r\n\r\n`],
    ['a host header replaces the origin', { method: 'GET', path: '/', headers: ['Host', 'example.test'] }, 'GET / HTTP/1.1\r\nhost: example.test\r\nconnection: keep-alive\r\n\r\n'],
    ['a matching content-length header', { method: 'POST', path: '/', headers: ['content-length', '2'], body: 'ok' }, `POST / HTTP/1.1\r\n${HOST}connection: keep-alive\r\ncontent-length: 2\r\n\r\nok`],
  ])('renders %s', (_name, req, want) => {
    const w = new RequestWriter('127.0.0.1:8080')
    expect(w.render(req)).toBe(want)
    expect(w.body).toBeNull()
  })

  it('leaves a non-ASCII string or a Buffer body to be written after the head, with its byte length', () => {
    const w = new RequestWriter('h')
    expect(w.render({ method: 'POST', path: '/', body: 'héllo' })).toContain('content-length: 6\r\n\r\n')
    expect(w.body).toBe('héllo')
    const buf = Buffer.alloc(1024 * 1024 + 1)
    expect(w.render({ method: 'POST', path: '/', body: buf })).toMatch(/content-length: 1048577\r\n\r\n$/)
    expect(w.body).toBe(buf)
  })

  it('closes after a body on a method that expects none, and after HEAD, and says HEAD has no response body', () => {
    const w = new RequestWriter('h')
    w.render({ method: 'GET', path: '/', body: 'x' })
    expect([w.close, w.noBody]).toEqual([true, false])
    w.render({ method: 'HEAD', path: '/' })
    expect([w.close, w.noBody]).toEqual([true, true])
    w.render({ method: 'GET', path: '/' })
    expect([w.close, w.noBody]).toEqual([false, false])
  })

  it('renders a headers array once, by identity: a changed array must be a new array', () => {
    const w = new RequestWriter('h')
    const headers = ['a', '1']
    expect(w.render({ method: 'GET', path: '/', headers })).toContain('a: 1\r\n')
    headers[1] = '2'
    expect(w.render({ method: 'GET', path: '/', headers })).toContain('a: 1\r\n')
    expect(w.render({ method: 'GET', path: '/', headers: [...headers] })).toContain('a: 2\r\n')
  })

  it.each<[string, RequestLike, string]>([
    ['a path without a slash', { method: 'GET', path: 'v1' }, 'UND_ERR_INVALID_ARG'],
    ['a space in the path', { method: 'GET', path: '/a b' }, 'UND_ERR_INVALID_ARG'],
    ['a line break in the path', { method: 'GET', path: '/a\r\nx: y' }, 'UND_ERR_INVALID_ARG'],
    ['a method that is not a token', { method: 'GE T', path: '/' }, 'UND_ERR_INVALID_ARG'],
    ['CONNECT', { method: 'CONNECT', path: '/' }, 'UND_ERR_NOT_SUPPORTED'],
    ['a header name with a space', { method: 'GET', path: '/', headers: ['x y', '1'] }, 'UND_ERR_INVALID_ARG'],
    ['a header value with a line break', { method: 'GET', path: '/', headers: ['x', '1\r\ninjected: 1'] }, 'UND_ERR_INVALID_ARG'],
    ['an odd headers array', { method: 'GET', path: '/', headers: ['x'] }, 'UND_ERR_INVALID_ARG'],
    ['transfer-encoding', { method: 'POST', path: '/', headers: ['transfer-encoding', 'chunked'] }, 'UND_ERR_INVALID_ARG'],
    ['a duplicate host', { method: 'GET', path: '/', headers: ['host', 'a', 'Host', 'b'] }, 'UND_ERR_INVALID_ARG'],
    ['expect', { method: 'POST', path: '/', headers: ['expect', '100-continue'] }, 'UND_ERR_NOT_SUPPORTED'],
    ['a content-length that disagrees with the body', { method: 'POST', path: '/', headers: ['content-length', '3'], body: 'ok' }, 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'],
    ['a stream body', { method: 'POST', path: '/', body: { pipe() {} } }, 'UND_ERR_NOT_SUPPORTED'],
  ])('refuses %s as undici does (%s), counted as "other"', (_name, req, code) => {
    const w = new RequestWriter('h')
    expect(w.render(req)).toBeNull()
    expect(w.error?.code).toBe(code)
    expect(classify(w.error)).toBe('other')
  })
})
