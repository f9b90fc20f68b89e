import { describe, expect, it } from 'vitest'
import type { RawTargetOptions } from '../../src/target/options.js'
import { call, startTestTarget, statuses, type TestTarget } from '../helpers/target-server.js'

/** Each flaw, side by side with the sound default: the behaviour differs in exactly the way described. */

/** Limiters run on a frozen clock unless a test brings its own, so no bucket refills while a slow machine sends. */
const frozen = (): number => 1_000_000

async function withTarget<T>(raw: RawTargetOptions, fn: (t: TestTarget) => Promise<T>, clock = frozen): Promise<T> {
  const t = await startTestTarget(raw, clock)
  try {
    return await fn(t)
  } finally {
    await t.close()
  }
}

const roomy = ['user=1000/1s', 'ip=100000/1s']

/** likesAfter sends `n` likes of post 1 by one user, all at once, and returns the count the target then reports. */
async function likesAfterConcurrentDuplicates(raw: RawTargetOptions, n: number): Promise<{ count: number; created: number }> {
  return withTarget(raw, async (t) => {
    const token = t.token('dup')
    const replies = await Promise.all(Array.from({ length: n }, () => call(t.url, 'POST', '/v1/posts/1/likes', { token })))
    const count = (await call(t.url, 'GET', '/v1/posts/1')).json.likes as number
    return { count, created: statuses(replies)[201] ?? 0 }
  })
}

describe('dedupe flaws', () => {
  it('default: 20 concurrent duplicate likes count once, even with a slow store', async () => {
    expect(await likesAfterConcurrentDuplicates({ rateLimits: roomy, latency: '5ms±2ms' }, 20)).toEqual({ count: 1, created: 1 })
  })

  it('racy-dedupe: the same 20 concurrent duplicates count more than once', async () => {
    const r = await likesAfterConcurrentDuplicates({ rateLimits: roomy, latency: '5ms±2ms', flaws: ['racy-dedupe'] }, 20)
    expect(r.count).toBeGreaterThan(1)
    expect(r.created).toBe(r.count)
  })

  it('racy-dedupe: sequential duplicates are still caught (only concurrency breaks it)', async () => {
    await withTarget({ rateLimits: roomy, flaws: ['racy-dedupe'] }, async (t) => {
      const token = t.token('seq')
      for (let i = 0; i < 5; i++) await call(t.url, 'POST', '/v1/posts/1/likes', { token })
      expect((await call(t.url, 'GET', '/v1/posts/1')).json.likes).toBe(1)
    })
  })

  it('no-dedupe: every sequential like counts and answers 201', async () => {
    for (const [flaws, want] of [[[], [201, 200, 200, 1]], [['no-dedupe'], [201, 201, 201, 3]]] as const) {
      await withTarget({ rateLimits: roomy, flaws: [...flaws] }, async (t) => {
        const token = t.token('rep')
        const codes = []
        for (let i = 0; i < 3; i++) codes.push((await call(t.url, 'POST', '/v1/posts/1/likes', { token })).status)
        codes.push((await call(t.url, 'GET', '/v1/posts/1')).json.likes)
        expect(codes).toEqual(want)
      })
    }
  })
})

describe('rate-limit flaws', () => {
  /** Likes by 20 users from one socket address, each claiming another X-Forwarded-For. */
  async function rotatingXff(flaws: string[]): Promise<Record<number, number>> {
    return withTarget({ rateLimits: ['ip=5/1s', 'user=1000/1s'], flaws }, async (t) => {
      const replies = []
      for (let i = 0; i < 20; i++) {
        const headers = { 'x-forwarded-for': `203.0.113.${i}, 10.0.0.1` }
        replies.push(await call(t.url, 'POST', `/v1/posts/${i + 1}/likes`, { token: t.token(`u${i}`), headers }))
      }
      return statuses(replies)
    })
  }

  it('default: a rotating X-Forwarded-For does not dodge the per-IP limit', async () => {
    expect(await rotatingXff([])).toEqual({ 201: 5, 429: 15 })
  })

  it('trust-forwarded: a rotating X-Forwarded-For dodges it', async () => {
    expect(await rotatingXff(['trust-forwarded'])).toEqual({ 201: 20 })
  })

  it.each([
    ['x-real-ip', (i: number) => `198.51.100.${i}`],
    ['forwarded', (i: number) => `for="[2001:db8::${i}]:4711";proto=http, for=10.0.0.1`],
  ])('trust-forwarded also reads %s', async (header, value) => {
    await withTarget({ rateLimits: ['ip=2/1s', 'user=1000/1s'], flaws: ['trust-forwarded'] }, async (t) => {
      const replies = []
      for (let i = 0; i < 6; i++) {
        replies.push(await call(t.url, 'POST', `/v1/posts/${i + 1}/likes`, { token: t.token(`v${i}`), headers: { [header]: value(i) } }))
      }
      expect(statuses(replies)).toEqual({ 201: 6 })
      const same = []
      for (let i = 0; i < 4; i++) {
        same.push(await call(t.url, 'POST', `/v1/posts/${i + 10}/likes`, { token: t.token(`w${i}`), headers: { [header]: value(99) } }))
      }
      expect(statuses(same)).toEqual({ 201: 2, 429: 2 })
    })
  })

  /** One user sends 20 likes 2 ms before a 10 s edge and 20 more 2 ms after it (limits: user 10/10s, burst 5). */
  async function acrossAnEdge(flaws: string[]): Promise<number> {
    let now = 9_998
    return withTarget({ flaws }, async (t) => {
      const token = t.token('edge')
      let ok = 0
      for (const at of [9_998, 10_002]) {
        now = at
        for (let i = 0; i < 20; i++) if ((await call(t.url, 'POST', `/v1/posts/${i + 1}/likes`, { token })).status < 300) ok++
      }
      return ok
    }, () => now)
  }

  it('default: the token bucket admits its burst of 5 across a window edge', async () => {
    expect(await acrossAnEdge([])).toBe(5)
  })

  it('fixed-window: a double burst (2 × 10) passes across the edge', async () => {
    expect(await acrossAnEdge(['fixed-window'])).toBe(20)
  })

  it('no-rate-limit: 30 likes by one user all pass and carry no quota headers', async () => {
    for (const [flaws, want] of [[[], { 201: 5, 429: 25 }], [['no-rate-limit'], { 201: 30 }]] as const) {
      await withTarget({ flaws: [...flaws] }, async (t) => {
        const replies = []
        for (let i = 0; i < 30; i++) replies.push(await call(t.url, 'POST', `/v1/posts/${i + 1}/likes`, { token: t.token('spam') }))
        expect(statuses(replies)).toEqual(want)
        expect(replies[0]!.headers.get('ratelimit') === null).toBe(flaws.length > 0)
      })
    }
  })
})

describe('auth and validation flaws', () => {
  it('no-auth: a missing or forged token gets in; the default answers 401', async () => {
    for (const [flaws, want] of [[[], 401], [['no-auth'], 201]] as const) {
      await withTarget({ flaws: [...flaws] }, async (t) => {
        expect((await call(t.url, 'POST', '/v1/posts/1/likes')).status).toBe(want)
        expect((await call(t.url, 'POST', '/v1/posts/2/likes', { token: 'mallory.forged' })).status).toBe(want)
      })
    }
  })

  it('no-auth: the claimed user is still deduplicated', async () => {
    await withTarget({ flaws: ['no-auth'] }, async (t) => {
      await call(t.url, 'POST', '/v1/posts/1/likes', { token: 'mallory.x' })
      expect((await call(t.url, 'POST', '/v1/posts/1/likes', { token: 'mallory.y' })).status).toBe(200)
    })
  })

  it('crash-on-bad-id: a malformed id answers 500 where the default answers 400; unknown ids stay 404', async () => {
    for (const [flaws, want] of [[[], 400], [['crash-on-bad-id'], 500]] as const) {
      await withTarget({ flaws: [...flaws] }, async (t) => {
        expect((await call(t.url, 'POST', '/v1/posts/abc/likes', { token: t.token('m') })).status).toBe(want)
        expect((await call(t.url, 'GET', "/v1/posts/1'%20OR%20'1'='1")).status).toBe(want)
        expect((await call(t.url, 'GET', '/v1/posts/1')).status).toBe(200)
        expect((await call(t.url, 'GET', '/v1/posts/99999')).status).toBe(404)
      })
    }
  })
})
