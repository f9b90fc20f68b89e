import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, startTestTarget, type TestTarget } from '../helpers/target-server.js'

/** The contract of DESIGN.md section 6, over real HTTP, on a sound (default) target. */
describe('reference like-API contract', () => {
  let t: TestTarget
  let fresh = 0 // a new user per case, so the per-user limit never interferes
  beforeAll(async () => {
    // A frozen limiter clock: no bucket refills between the requests of a test, however slow the machine.
    t = await startTestTarget({ posts: 100, debugArrivals: true }, () => 1_000_000)
  })
  afterAll(() => t.close())

  it('GET /healthz → 200', async () => {
    const r = await call(t.url, 'GET', '/healthz')
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ ok: true })
  })

  it('POST like → 201 with the new count, again → 200, and GET shows it', async () => {
    const token = t.token('alice')
    const first = await call(t.url, 'POST', '/v1/posts/1/likes', { token })
    expect(first.status).toBe(201)
    expect(first.headers.get('content-type')).toBe('application/json')
    expect(first.json).toEqual({ liked: true, likes: 1 })
    const again = await call(t.url, 'POST', '/v1/posts/1/likes', { token })
    expect(again.status).toBe(200)
    expect(again.json).toEqual({ liked: true, likes: 1 })
    await call(t.url, 'POST', '/v1/posts/1/likes', { token: t.token('bob') })
    expect((await call(t.url, 'GET', '/v1/posts/1')).json).toEqual({ id: 1, likes: 2 })
  })

  it('DELETE like → 200 { liked: false } and the count drops once', async () => {
    const token = t.token('carol')
    await call(t.url, 'POST', '/v1/posts/2/likes', { token })
    const del = await call(t.url, 'DELETE', '/v1/posts/2/likes', { token })
    expect(del.status).toBe(200)
    expect(del.json).toEqual({ liked: false, likes: 0 })
    const again = await call(t.url, 'DELETE', '/v1/posts/2/likes', { token })
    expect(again.json).toEqual({ liked: false, likes: 0 })
  })

  it('accepts an empty or JSON body on a like', async () => {
    const token = t.token('dave')
    expect((await call(t.url, 'POST', '/v1/posts/3/likes', { token, body: '' })).status).toBe(201)
    expect((await call(t.url, 'POST', '/v1/posts/4/likes', { token, body: '{"source":"feed"}' })).status).toBe(201)
  })

  it.each([
    ['no Authorization header', undefined],
    ['a token with a bad signature', 'alice.AAAAAAAAAAAAAAAAAAAAAA'],
    ['a token signed with another secret', 'alice.dlVCrx8dWHvGDCGNylMqJY'],
    ['a malformed token', 'garbage'],
  ])('401 for %s', async (_why, token) => {
    const r = await call(t.url, 'POST', '/v1/posts/1/likes', token === undefined ? {} : { token })
    expect(r.status).toBe(401)
    expect(r.headers.get('www-authenticate')).toBe('Bearer')
    expect(r.json.error).toBe('unauthorized')
  })

  it('401 for a scheme other than Bearer', async () => {
    const r = await call(t.url, 'POST', '/v1/posts/1/likes', { headers: { authorization: `Basic ${t.token('alice')}` } })
    expect(r.status).toBe(401)
  })

  it.each([
    ['abc'], ['1.5'], ['-1'], ['007'], ['1e3'], ['%2e%2e%2fetc'], ['1%20OR%201=1'], ['99999999999999999999'], [''],
  ])('400 for the malformed post id %j', async (id) => {
    const like = await call(t.url, 'POST', `/v1/posts/${id}/likes`, { token: t.token(`eve${fresh++}`) })
    expect(like.status).toBe(400)
    expect(like.json.error).toBe('bad_id')
    if (id !== '') expect((await call(t.url, 'GET', `/v1/posts/${id}`)).status).toBe(400)
  })

  it.each([['0'], ['101'], ['123456789']])('404 for the unknown post %s', async (id) => {
    expect((await call(t.url, 'POST', `/v1/posts/${id}/likes`, { token: t.token(`frank${fresh++}`) })).status).toBe(404)
    expect((await call(t.url, 'GET', `/v1/posts/${id}`)).status).toBe(404)
  })

  it('400 for a body that is not JSON', async () => {
    const r = await call(t.url, 'POST', '/v1/posts/5/likes', { token: t.token('gina'), body: '{"oops"' })
    expect(r.status).toBe(400)
    expect(r.json.error).toBe('bad_json')
    expect((await call(t.url, 'GET', '/v1/posts/5')).json.likes).toBe(0)
  })

  it('413 for a body over 16 KiB, declared or chunked', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(17 * 1024) })
    const declared = await call(t.url, 'POST', '/v1/posts/6/likes', { token: t.token('hank'), body: big })
    expect(declared.status).toBe(413)
    const chunked = await chunkedPost(t.url, '/v1/posts/6/likes', t.token('hank'), big)
    expect(chunked).toBe(413)
    expect((await call(t.url, 'GET', '/v1/posts/6')).json.likes).toBe(0)
  })

  it('405 with Allow for a wrong method, 404 for other routes', async () => {
    const put = await call(t.url, 'PUT', '/v1/posts/1/likes')
    expect(put.status).toBe(405)
    expect(put.headers.get('allow')).toBe('POST, DELETE')
    const post = await call(t.url, 'POST', '/v1/posts/1')
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET'])
    for (const path of ['/', '/v1/posts', '/v1/posts/1/likes/2', '/v1/posts/1/comments', '/v1/posts/../../etc/passwd']) {
      expect((await call(t.url, 'GET', path)).status, path).toBe(404)
    }
  })

  it('sends the quota headers on 2xx, with the remaining quota going down', async () => {
    const token = t.token('ivan')
    const seen: string[] = []
    for (const post of [10, 11, 12]) {
      const r = await call(t.url, 'POST', `/v1/posts/${post}/likes`, { token })
      expect(r.status).toBe(201)
      expect(r.headers.get('ratelimit-policy')).toBe('"ip";q=1000;w=1, "user";q=10;w=10')
      expect(r.headers.get('ratelimit')).toMatch(/^"ip";r=\d+;t=\d+, "user";r=\d+;t=\d+$/)
      expect(r.headers.get('ratelimit-limit')).toBe('10')
      expect(r.headers.get('retry-after')).toBeNull()
      seen.push(r.headers.get('ratelimit-remaining')!)
    }
    expect(seen).toEqual(['4', '3', '2'])
  })

  it('429 with Retry-After and the RateLimit headers once a user passes the default burst of 5', async () => {
    const token = t.token('judy')
    const replies = []
    for (let post = 20; post < 27; post++) replies.push(await call(t.url, 'POST', `/v1/posts/${post}/likes`, { token }))
    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 429, 429])
    const r = replies[5]!
    expect(r.headers.get('content-type')).toBe('application/problem+json')
    expect(r.json['violated-policies']).toEqual(['user'])
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(r.headers.get('ratelimit-remaining')).toBe('0')
    expect(r.headers.get('ratelimit')).toMatch(/"user";r=0;t=1$/)
    expect((await call(t.url, 'DELETE', '/v1/posts/20/likes', { token })).status).toBe(429) // unlikes share the budget
  })

  it('does not rate-limit reads', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, () => call(t.url, 'GET', '/v1/posts/1')))
    expect(replies.every((r) => r.status === 200 && r.headers.get('ratelimit') === null)).toBe(true)
  })

  it('records arrivals of requests carrying x-likebench-run when --debug-arrivals is on', async () => {
    const headers = { 'x-likebench-run': 'run-42' }
    for (let i = 0; i < 2; i++) await call(t.url, 'GET', '/healthz', { headers })
    await call(t.url, 'GET', '/healthz', { headers: { ...headers, 'x-likebench-group': 'race#7' } })
    await call(t.url, 'GET', '/healthz', { headers: { 'x-likebench-run': 'other' } })
    await call(t.url, 'GET', '/healthz')
    const r = await call(t.url, 'GET', '/debug/arrivals?run=run-42')
    expect(r.status).toBe(200)
    expect(r.json.run).toBe('run-42')
    expect(r.json.clock).toBe('hrtime-ms')
    const a: number[] = r.json.arrivals
    expect(a).toHaveLength(3)
    expect(a[1]! - a[0]!).toBeGreaterThan(0)
    expect(a[2]! - a[0]!).toBeLessThan(5000)
    expect(r.json.groups).toEqual([null, null, 'race#7'])
    expect((await call(t.url, 'GET', '/debug/arrivals')).status).toBe(400)
  })
})

describe('debug arrivals off', () => {
  it('answers 404 on /debug/arrivals', async () => {
    const t = await startTestTarget()
    try {
      await call(t.url, 'GET', '/healthz', { headers: { 'x-likebench-run': 'r' } })
      expect((await call(t.url, 'GET', '/debug/arrivals?run=r')).status).toBe(404)
    } finally {
      await t.close()
    }
  })
})

function chunkedPost(url: string, path: string, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method: 'POST', headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume()
      resolve(res.statusCode!)
    })
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)))
    for (let i = 0; i < body.length; i += 1024) req.write(body.slice(i, i + 1024))
    req.end()
  })
}
