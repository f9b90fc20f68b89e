import { describe, expect, it } from 'vitest'
import { claimedUser, signToken, TokenVerifier, verifyToken } from '../../src/target/token.js'

describe('tokens', () => {
  it('signs <user>.<22 base64url chars> and verifies it', () => {
    const t = signToken('k', 'alice')
    expect(t).toMatch(/^alice\.[A-Za-z0-9_-]{22}$/)
    expect(verifyToken('k', t)).toBe('alice')
  })

  it('is deterministic per secret and user', () => {
    expect(signToken('k', 'u1')).toBe(signToken('k', 'u1'))
    expect(signToken('k', 'u1')).not.toBe(signToken('k2', 'u1'))
  })

  it.each([
    ['another secret', signToken('other', 'alice')],
    ['another user', `bob.${signToken('k', 'alice').split('.')[1]}`],
    ['a flipped character', signToken('k', 'alice').replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))],
    ['a truncated signature', signToken('k', 'alice').slice(0, -1)],
    ['no signature', 'alice.'],
    ['no user', '.abc'],
    ['no dot', 'alice'],
    ['a bad user id', `a b.${'x'.repeat(22)}`],
    ['empty', ''],
  ])('rejects %s', (_why, token) => {
    expect(verifyToken('k', token)).toBeUndefined()
  })

  it('refuses to sign a user id that cannot round-trip', () => {
    expect(() => signToken('k', 'a.b')).toThrow(/must be 1-64 characters/)
    expect(() => signToken('k', '')).toThrow()
    expect(() => signToken('k', 'x'.repeat(65))).toThrow()
  })

  it('claimedUser reads the user part without checking the signature', () => {
    expect(claimedUser('mallory.forged')).toBe('mallory')
    expect(claimedUser('nodot')).toBeUndefined()
  })

  it('mints tokens fast enough for 20,000 generated users', () => {
    const t0 = performance.now()
    for (let i = 0; i < 20_000; i++) signToken('k', `u${i}`)
    expect(performance.now() - t0).toBeLessThan(2000)
  })
})

describe('TokenVerifier', () => {
  it('verifies like verifyToken and stays bounded', () => {
    const v = new TokenVerifier('k', 3)
    for (let i = 0; i < 10; i++) expect(v.verify(signToken('k', `u${i}`))).toBe(`u${i}`)
    expect((v as unknown as { cache: Map<string, string> }).cache.size).toBe(3)
    expect(v.verify(signToken('other', 'u1'))).toBeUndefined()
    expect(v.verify(signToken('k', 'u0'))).toBe('u0')
  })

  it('does not cache bad tokens', () => {
    const v = new TokenVerifier('k', 3)
    for (let i = 0; i < 10; i++) v.verify(`u${i}.bad`)
    expect((v as unknown as { cache: Map<string, string> }).cache.size).toBe(0)
  })
})
