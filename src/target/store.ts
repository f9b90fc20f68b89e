/**
 * The in-memory like store: who liked which post, and the count. It stands in for a
 * database: every operation pays the modelled round trip (`--latency`), and the dedupe
 * decides what a like does when the same user already liked the post.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { LatencySpec } from './options.js'

/**
 * RACY_GAP_MS is the gap racy-dedupe leaves between check and insert when no latency is
 * modelled: one timer macrotask, at least 1 ms, about a database round trip on loopback and
 * wider than a last-byte-synchronised burst (abuse.md §8.4), so a race can land in it.
 */
export const RACY_GAP_MS = 1

/** DedupeMode says how a like is deduplicated: atomically (sound), check-then-insert (racy-dedupe) or not at all (no-dedupe). */
export type DedupeMode = 'atomic' | 'racy' | 'none'

/** LikeResult is the state of a post after a like or an unlike by one user. */
export interface LikeResult {
  liked: boolean
  /** Whether this call changed anything: a new like (201) or a removed one. */
  changed: boolean
  likes: number
}

/** LikeStore holds posts 1..posts, their like counts and their likers. */
export class LikeStore {
  private readonly counts: Float64Array
  private readonly likers = new Map<number, Set<string>>()

  constructor(
    readonly posts: number,
    private readonly dedupe: DedupeMode = 'atomic',
    private readonly latency?: LatencySpec,
  ) {
    this.counts = new Float64Array(posts + 1)
  }

  /** exists says whether `post` is a post of this store. */
  exists(post: number): boolean {
    return post >= 1 && post <= this.posts
  }

  /** like records that `user` likes `post`, deduplicated according to the store's DedupeMode. */
  async like(post: number, user: string): Promise<LikeResult> {
    if (this.dedupe === 'racy') return this.racyLike(post, user)
    await this.roundTrip()
    const set = this.likersOf(post)
    // Sound: the check and the insert happen in one synchronous step, like INSERT .. ON CONFLICT DO NOTHING.
    const changed = this.dedupe === 'none' || !set.has(user)
    if (changed) {
      set.add(user)
      this.counts[post]!++
    }
    return { liked: true, changed, likes: this.counts[post]! }
  }

  /**
   * The racy-dedupe flaw: read "has this user liked it?", then go back to the database to
   * insert. Every request that read "no" before the first insert landed counts its like,
   * so N concurrent duplicates can add up to N. The set still holds the user once, which
   * is exactly how such a bug hides: the likers table looks fine, the counter does not.
   */
  private async racyLike(post: number, user: string): Promise<LikeResult> {
    const seen = this.likersOf(post).has(user)
    await (this.roundTrip() ?? sleep(RACY_GAP_MS))
    if (seen) return { liked: true, changed: false, likes: this.counts[post]! }
    this.likersOf(post).add(user)
    this.counts[post]!++
    return { liked: true, changed: true, likes: this.counts[post]! }
  }

  /** unlike removes `user`'s like of `post`, if any; under racy-dedupe the check and the delete are apart too. */
  async unlike(post: number, user: string): Promise<LikeResult> {
    let had: boolean
    if (this.dedupe === 'racy') {
      had = this.likersOf(post).has(user)
      await (this.roundTrip() ?? sleep(RACY_GAP_MS))
      this.likersOf(post).delete(user)
    } else {
      await this.roundTrip()
      had = this.likersOf(post).delete(user)
    }
    if (had && this.counts[post]! > 0) this.counts[post]!--
    return { liked: false, changed: had, likes: this.counts[post]! }
  }

  /** read returns the like count of `post`. */
  async read(post: number): Promise<number> {
    await this.roundTrip()
    return this.counts[post]!
  }

  private likersOf(post: number): Set<string> {
    let set = this.likers.get(post)
    if (set === undefined) {
      set = new Set()
      this.likers.set(post, set)
    }
    return set
  }

  /** The modelled database round trip, uniform in mean ± jitter; undefined (no wait at all) without --latency. */
  private roundTrip(): Promise<void> | undefined {
    if (this.latency === undefined) return undefined
    const { meanMs, jitterMs } = this.latency
    return sleep(meanMs + (Math.random() * 2 - 1) * jitterMs)
  }
}
