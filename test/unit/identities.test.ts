import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedUsers, loadCsvUsers } from '../../src/identities/users.js'
import { postPicker } from '../../src/identities/posts.js'
import { loopbackAddress, spoofedAddress } from '../../src/identities/ips.js'
import { verifyToken } from '../../src/target/token.js'
import { random } from '../../src/rng.js'

describe('generated users', () => {
  const users = generatedUsers(1_000_000, 's3cret')
  it('are u1..uN with tokens the built-in target accepts', () => {
    expect(users.id(0)).toBe('u1')
    expect(users.id(999_999)).toBe('u1000000')
    expect(verifyToken('s3cret', users.token(0))).toBe('u1')
    expect(verifyToken('s3cret', users.token(999_999))).toBe('u1000000')
    expect(verifyToken('other', users.token(0))).toBeUndefined()
  })
  it('give the same token again after the cache slot was reused', () => {
    const t = users.token(5)
    users.token(5 + (1 << 16)) // same slot
    expect(users.token(5)).toBe(t)
  })
})

describe('CSV users', () => {
  it('read id, token and ip in the header’s order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-csv-'))
    writeFileSync(join(dir, 'u.csv'), 'token,ip,id\r\nt-a,127.0.0.2,alice\r\n\r\nt-b,,bob\r\n')
    const u = await loadCsvUsers(join(dir, 'u.csv'))
    expect([u.count, u.id(0), u.token(0), u.ip(0), u.id(1), u.token(1), u.ip(1)]).toEqual([2, 'alice', 't-a', '127.0.0.2', 'bob', 't-b', undefined])
  })
  it('refuse a row without a token, naming the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-csv-'))
    writeFileSync(join(dir, 'u.csv'), 'id,token\nalice,t-a\nbob\n')
    await expect(loadCsvUsers(join(dir, 'u.csv'))).rejects.toThrow(`${join(dir, 'u.csv')}:3: a user needs an id and a token`)
  })
})

describe('post pickers', () => {
  const sample = (pick: ReturnType<typeof postPicker>, n = 200_000) => {
    const counts = new Map<number, number>()
    for (let i = 0; i < n; i++) {
      const p = pick(random(7, 1, i))
      counts.set(p, (counts.get(p) ?? 0) + 1)
    }
    return counts
  }
  it('uniform covers 1..count evenly', () => {
    const c = sample(postPicker({ count: 10, pick: { kind: 'uniform' } }))
    expect([...c.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    for (const v of c.values()) expect(v / 200_000).toBeCloseTo(0.1, 2)
  })
  it('zipf(1) gives post k a share ∝ 1/k', () => {
    const c = sample(postPicker({ count: 100, pick: { kind: 'zipf', s: 1 } }))
    let h = 0
    for (let k = 1; k <= 100; k++) h += 1 / k
    for (const k of [1, 2, 10]) expect(c.get(k)! / 200_000).toBeCloseTo(1 / k / h, 2)
    expect(Math.max(...c.keys())).toBeLessThanOrEqual(100)
  })
  it('hot(5, 80%) sends 80% of picks to posts 1..5', () => {
    const c = sample(postPicker({ count: 100, pick: { kind: 'hot', size: 5, share: 0.8 } }))
    let hot = 0
    for (const [k, v] of c) if (k <= 5) hot += v
    expect(hot / 200_000).toBeCloseTo(0.8, 2)
    expect(Math.max(...c.keys())).toBe(100)
  })
  it('never returns a post outside 1..count, even at the edges of u', () => {
    for (const pick of [{ kind: 'uniform' } as const, { kind: 'zipf', s: 1.1 } as const, { kind: 'hot', size: 3, share: 0.5 } as const]) {
      const p = postPicker({ count: 7, pick })
      expect([p(0), p(0.5), p(1 - Number.EPSILON)].every((x) => x >= 1 && x <= 7)).toBe(true)
    }
  })
})

describe('addresses', () => {
  it.each([[0, '127.0.0.1'], [1, '127.0.0.2'], [253, '127.0.0.254'], [254, '127.0.1.1']])('loopback %i is %s', (i, a) => expect(loopbackAddress(i)).toBe(a))
  it.each([[0, '198.18.0.1'], [255, '198.18.1.0'], [1000, '198.18.3.233']])('spoofed %i is %s', (i, a) => expect(spoofedAddress(i)).toBe(a))
})
