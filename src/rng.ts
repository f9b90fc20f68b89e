/**
 * Counter-based deterministic randomness. A random number is a pure function of
 * (seed, stream, counter): there is no generator state to carry, share or split. That is
 * what lets request n's identity be computed from n alone, so a schedule can be cut into
 * pieces (worker threads, execution segments) and every piece still draws exactly the
 * numbers the whole run would have drawn.
 *
 * The mixing is MurmurHash3's 32-bit block step and finaliser over the words
 * (seed lo, seed hi, stream, n lo, n hi), all on Math.imul: no BigInt, no allocation.
 * It is a hash, not a cryptographic generator; its avalanche is good enough that nearby
 * counters and nearby streams give unrelated numbers (the tests check uniformity and
 * correlation).
 */

const C1 = 0xcc9e2d51
const C2 = 0x1b873593
const TWO_32 = 4294967296
const TWO_53 = 9007199254740992

/** absorb mixes one 32-bit word into a MurmurHash3 state. */
function absorb(h: number, word: number): number {
  let k = Math.imul(word, C1)
  k = (k << 15) | (k >>> 17)
  k = Math.imul(k, C2)
  h ^= k
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** fmix is MurmurHash3's finaliser: every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** streamKey folds a seed and a stream id into one 32-bit key; random() recomputes it, hot loops may cache it. */
export function streamKey(seed: number, stream: number): number {
  // Seeds up to 2^53 are honoured: the high word is taken separately, not truncated away.
  return absorb(absorb(absorb(0x2545f491, seed >>> 0), (seed / TWO_32) >>> 0), stream >>> 0)
}

/** randomAt returns a float in [0, 1) with 53 random bits for counter n (0 ≤ n < 2^53) under a streamKey. */
export function randomAt(key: number, n: number): number {
  const h = absorb(absorb(key, n >>> 0), (n / TWO_32) >>> 0)
  const hi = fmix(h ^ 20) >>> 11
  const lo = fmix(absorb(h, 0x9e3779b9) ^ 24)
  return (hi * TWO_32 + lo) / TWO_53
}

/** random returns a float in [0, 1) as a pure function of (seed, stream, n): same inputs, same number. */
export function random(seed: number, stream: number, n: number): number {
  return randomAt(streamKey(seed, stream), n)
}

/** hashString derives a 32-bit stream id from a name (FNV-1a over UTF-16 code units, then fmix). */
export function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return fmix(h)
}
