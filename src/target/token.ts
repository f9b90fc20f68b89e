/**
 * Tokens of the reference like-API: `<user>.<sig>`, where sig is the first 22 characters
 * (128 bits) of base64url(HMAC-SHA256(secret, user)). Stateless, so the load generator
 * mints tokens for generated users with the same secret. Only node:crypto is used.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

/** USER_ID_RE is what a user id may look like: 1 to 64 letters, digits, `_` or `-` (no dot: it separates the signature). */
export const USER_ID_RE = /^[A-Za-z0-9_-]{1,64}$/

const SIG_LENGTH = 22

function signature(secret: string, userId: string): string {
  return createHmac('sha256', secret).update(userId).digest('base64url').slice(0, SIG_LENGTH)
}

/** signToken mints the bearer token of `userId` under `secret`. */
export function signToken(secret: string, userId: string): string {
  if (!USER_ID_RE.test(userId)) {
    throw new TypeError(`user id "${userId}" must be 1-64 characters of A-Z a-z 0-9 _ -`)
  }
  return `${userId}.${signature(secret, userId)}`
}

/** verifyToken returns the user a token was minted for, or undefined when it is malformed or its signature is wrong. */
export function verifyToken(secret: string, token: string): string | undefined {
  const user = claimedUser(token)
  if (user === undefined) return undefined
  const given = Buffer.from(token.slice(user.length + 1))
  const want = Buffer.from(signature(secret, user))
  return given.length === want.length && timingSafeEqual(given, want) ? user : undefined
}

/** claimedUser returns the user part of a well-formed token without checking its signature. */
export function claimedUser(token: string): string | undefined {
  const dot = token.indexOf('.')
  if (dot < 1) return undefined
  const user = token.slice(0, dot)
  return USER_ID_RE.test(user) ? user : undefined
}

/** TokenVerifier checks tokens against one secret, remembering up to `max` tokens it has verified. */
export class TokenVerifier {
  private readonly cache = new Map<string, string>()

  constructor(
    private readonly secret: string,
    private readonly max = 100_000,
  ) {}

  /** verify returns the token's user, or undefined; a verified token costs one map lookup the next time. */
  verify(token: string): string | undefined {
    const hit = this.cache.get(token)
    if (hit !== undefined) return hit
    const user = verifyToken(this.secret, token)
    if (user === undefined) return undefined // not cached: a flood of bad tokens must not evict the good ones
    // Bounded by dropping the oldest entry; a full sweep would stall the hot path.
    if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(token, user)
    return user
  }
}
