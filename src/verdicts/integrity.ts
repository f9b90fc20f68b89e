import { Endpoint, type Outgoing } from '../actors/types.js'
import type { Finding, IntegrityResult, PostCheck } from '../result.js'
import type { Outcome } from '../transport/send.js'

/**
 * The integrity ledger (DESIGN.md section 5): from what was sent and answered, the range each
 * post's like count may lie in after the run.
 *
 * Per (user, post) pair it keeps the set of states the pair may end in — not liked, liked, or
 * both (ambiguous) — and when its last effective request ended. The user of a request is the
 * one its token speaks for (`Outgoing.token`, else `Outgoing.user`); requests with neither
 * cannot be attributed and are left out, so anything they change shows as a miscount.
 *
 * A request's effect:
 *   applied  a 2xx answer: the like or unlike took place;
 *   none     never written, or a 4xx, 3xx or throttled answer: nothing changed;
 *   maybe    a timeout, reset, protocol error, likebench's own abort or a 5xx: it may or may
 *            not have taken place, at any time up to the end of the run.
 * An applied request that was sent after every earlier effective request of the pair had
 * ended sets the pair's state. One that overlapped another (a like and an unlike in flight
 * at once: the target may have applied them in either order), and every maybe, only adds its
 * state to the possible ones.
 *
 * Pairs are assumed not liked before the run (the built-in target starts empty; against a
 * long-lived target use users and posts the run has not touched before). A post's count may
 * then lie in [before + pairs surely liked, before + pairs possibly liked].
 */

const NOT_LIKED = 1
const LIKED = 2

interface Pair {
  possible: number
  /** End of the pair's last effective request; Infinity once a request may still apply. */
  maxEnd: number
}

/** IntegrityLedger follows every like and unlike on the watched posts; O(1) per request, memory per pair. */
export class IntegrityLedger {
  private readonly pairs = new Map<number, Pair>()
  private readonly throttle = new Uint8Array(600)

  /** `watched[post]` is 1 for the posts whose counts are read. */
  constructor(private readonly watched: Uint8Array, throttleStatus: readonly number[]) {
    for (const s of throttleStatus) if (s >= 0 && s < 600) this.throttle[s] = 1
  }

  /** done records one finished request (a Sender observer). */
  readonly done = (req: Outgoing, r: Outcome, _intendedMs: number, _actor: number, mark: number): void => {
    if (req.endpoint !== Endpoint.like && req.endpoint !== Endpoint.unlike) return
    if (mark < 0 || this.watched[req.post] !== 1) return
    const user = req.token >= 0 ? req.token : req.user
    if (user < 0) return
    const effect = effectOf(r, this.throttle)
    if (effect === 'none') return
    const key = user * 2 ** 21 + req.post
    let p = this.pairs.get(key)
    if (p === undefined) {
      p = { possible: NOT_LIKED, maxEnd: -Infinity }
      this.pairs.set(key, p)
    }
    const state = req.endpoint === Endpoint.like ? LIKED : NOT_LIKED
    if (effect === 'maybe') {
      p.possible |= state
      p.maxEnd = Infinity
    } else {
      p.possible = r.sentAt >= p.maxEnd ? state : p.possible | state
      if (r.endedAt > p.maxEnd) p.maxEnd = r.endedAt
    }
  }

  /** ranges returns, per post, how many pairs surely and possibly end liked, and how many are ambiguous. */
  ranges(): Map<number, { min: number; max: number; ambiguous: number; pairs: number }> {
    const out = new Map<number, { min: number; max: number; ambiguous: number; pairs: number }>()
    for (const [key, p] of this.pairs) {
      const post = key % 2 ** 21
      let r = out.get(post)
      if (r === undefined) out.set(post, (r = { min: 0, max: 0, ambiguous: 0, pairs: 0 }))
      r.pairs++
      if (p.possible === LIKED) r.min++
      if (p.possible & LIKED) r.max++
      if (p.possible === (LIKED | NOT_LIKED)) r.ambiguous++
    }
    return out
  }
}

function effectOf(r: Outcome, throttle: Uint8Array): 'applied' | 'none' | 'maybe' {
  if (r.error !== null) return r.error === 'refused' || r.error === 'fd_exhausted' ? 'none' : 'maybe'
  if (r.status >= 200 && r.status < 300) return 'applied'
  if (throttle[r.status] === 1) return 'none'
  return r.status >= 500 ? 'maybe' : 'none'
}

/** MAX_PER_POST bounds the posts listed in the result. */
export const MAX_PER_POST = 20

/** IntegrityInput is what the read-back found and the ledger knows. */
export interface IntegrityInput {
  touched: readonly number[]
  before: ReadonlyMap<number, number | undefined>
  after: ReadonlyMap<number, number | undefined>
  ledger: IntegrityLedger
  notes: string[]
}

/** integrityResult compares each post's count after the run with the range the answers allow. */
export function integrityResult(i: IntegrityInput): IntegrityResult {
  const ranges = i.ledger.ranges()
  const checks: PostCheck[] = []
  let unread = 0
  let pairs = 0
  let ambiguous = 0
  for (const post of i.touched) {
    const before = i.before.get(post)
    const observed = i.after.get(post)
    if (before === undefined || observed === undefined) {
      unread++
      continue
    }
    const r = ranges.get(post) ?? { min: 0, max: 0, ambiguous: 0, pairs: 0 }
    pairs += r.pairs
    ambiguous += r.ambiguous
    const expectedMin = before + r.min
    const expectedMax = before + r.max
    checks.push({
      post, before, observed, expectedMin, expectedMax, pairs: r.pairs,
      overcount: Math.max(0, observed - expectedMax), undercount: Math.max(0, expectedMin - observed), ambiguous: r.ambiguous,
    })
  }
  const sum = (f: (c: PostCheck) => number) => checks.reduce((n, c) => n + f(c), 0)
  const miss = (c: PostCheck) => c.overcount + c.undercount
  const worst = checks.sort((a, b) => miss(b) - miss(a) || b.pairs - a.pairs || a.post - b.post)
  const notes = [...i.notes]
  if (unread > 0) notes.push(`${unread} of ${i.touched.length} touched posts could not be read before and after the run and were not checked`)
  return {
    posts: checks.length,
    touched: i.touched.length,
    unread,
    pairs,
    ambiguous,
    expectedMin: sum((c) => c.expectedMin),
    expectedMax: sum((c) => c.expectedMax),
    observed: sum((c) => c.observed),
    overcount: sum((c) => c.overcount),
    undercount: sum((c) => c.undercount),
    perPost: worst.slice(0, MAX_PER_POST),
    notes,
  }
}

/** integrityFinding is the defense verdict: ok iff no checked post is over- or undercounted; none when nothing could be checked. */
export function integrityFinding(r: IntegrityResult): Finding[] {
  if (r.posts === 0) return []
  const ok = r.overcount === 0 && r.undercount === 0
  const worst = r.perPost[0]
  const message = ok
    ? `every count stayed true: ${r.posts} posts within their expected range (${r.pairs} user-post pairs, ${r.ambiguous} ambiguous)`
    : [
        r.overcount > 0 && `overcount ${r.overcount}`,
        r.undercount > 0 && `undercount ${r.undercount}`,
      ].filter(Boolean).join(', ') +
      ` over ${r.posts} posts` +
      (worst ? `; worst post ${worst.post}: ${worst.observed} likes, expected ${range(worst)}` : '')
  return [{
    actor: 'integrity', kind: 'integrity', ok, message,
    evidence: { posts: r.posts, overcount: r.overcount, undercount: r.undercount, pairs: r.pairs, ambiguous: r.ambiguous, unread: r.unread },
  }]
}

function range(c: PostCheck): string {
  return c.expectedMin === c.expectedMax ? String(c.expectedMin) : `${c.expectedMin}..${c.expectedMax}`
}
