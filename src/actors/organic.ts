import { randomAt } from '../rng.js'
import type { Finding } from '../result.js'
import { addCounts, Permutation } from './tally.js'
import { Endpoint, type Actor, type ActorContext, type Sent } from './types.js'

/**
 * organic: ordinary users liking posts by popularity. Each user likes a post at most once;
 * a share of likes is unliked about a second later; optionally some requests read a count.
 * A defended API answers all of it with 2xx and never throttles it, so the finding fires
 * when ordinary traffic is throttled, rejected or fails.
 *
 * Every choice is a pure function of the arrival index n (and the seed), so the same seed
 * gives the same traffic and a schedule split across workers sends exactly the same:
 *   - like n goes from user perm(n mod U) (a seeded Permutation), as that user's k-th like, k = ⌊n / U⌋;
 *   - its post is the k-th distinct draw of the post picker for that user;
 *   - arrival n is an unlike (with probability q = r/(1+r), r = unlikeRatio) of the like made
 *     by arrival n − L, unless n − L was itself chosen as an unlike; L ≈ one second of arrivals.
 */

const MAX_DRAWS = 32

/** organic builds the organic actor. */
export function organic(ctx: ActorContext): Actor {
  const o = ctx.actor.options
  if (o.kind !== 'organic') throw new Error('organic actor with other options')
  const users = ctx.population.count
  const q = o.unlikeRatio / (1 + o.unlikeRatio)
  const lag = Math.max(10, Math.ceil(ctx.actor.peakRps))
  const perm = new Permutation(users, ctx.rngKey, ctx.population.first)
  // Distinct streams for each decision, derived from the actor's key.
  const kUnlike = ctx.rngKey ^ 0x5bd1e995
  const kRead = ctx.rngKey ^ 0x1b873593
  const kPost = ctx.rngKey ^ 0x27d4eb2f
  const tally = { sent: 0, ok: 0, throttled: 0, rejected: 0, errors: 0 }

  const unlikeSlot = (n: number) => n >= lag && randomAt(kUnlike, n) < q
  const isUnlike = (n: number) => unlikeSlot(n) && !unlikeSlot(n - lag)
  const likeOf = (n: number) => (isUnlike(n) ? n - lag : n)
  const userOf = (n: number) => perm.at(likeOf(n))

  /** postOf returns the post of like n: the user's k-th distinct draw. */
  const postOf = (n: number): number => {
    const m = likeOf(n)
    const user = userOf(m)
    const k = Math.floor(m / users)
    const picks: number[] = []
    for (let j = 0; j <= k; j++) picks.push(distinctDraw(user, j, picks))
    return picks[k]!
  }
  const distinctDraw = (user: number, j: number, taken: number[]): number => {
    let p = 0
    for (let d = 0; d < MAX_DRAWS; d++) {
      p = ctx.pickPost(randomAt(kPost, (user * 1024 + j) * MAX_DRAWS + d))
      if (!taken.includes(p)) return p
    }
    return p // more likes than this user can place distinctly: a repeat, which a sound API answers 200
  }

  const observe = (r: Sent) => {
    tally.sent++
    if (r.error !== null || r.status >= 500) tally.errors++
    else if (ctx.plan.throttleStatus.includes(r.status)) tally.throttled++
    else if (r.status >= 400) tally.rejected++
    else tally.ok++
  }

  const isRead = (n: number) => o.readRatio > 0 && randomAt(kRead, n) < o.readRatio

  return {
    identity: userOf,
    posts: (n) => (isRead(n) ? [] : [postOf(n)]),
    fire(n, intendedMs, done) {
      const read = isRead(n)
      const endpoint = read ? Endpoint.read : isUnlike(n) ? Endpoint.unlike : Endpoint.like
      const user = userOf(n)
      const post = read ? ctx.pickPost(randomAt(kPost ^ 0x9e3779b9, n)) : postOf(n)
      ctx.send(ctx.templates.request(endpoint, user, post), intendedMs, (r) => {
        observe(r)
        done()
      })
    },
    state: () => ({ tally: { ...tally } }),
    absorb(s) {
      addCounts(tally, (s as { tally: typeof tally }).tally)
    },
    findings(): Finding[] {
      const bad = tally.throttled + tally.rejected + tally.errors
      const ok = bad === 0
      const parts = [tally.throttled && `${tally.throttled} throttled`, tally.rejected && `${tally.rejected} rejected (4xx)`, tally.errors && `${tally.errors} failed`].filter(Boolean)
      return [{
        actor: ctx.actor.name, kind: 'organic', ok,
        message: ok ? `all ${tally.sent} ordinary requests were served` : `${parts.join(', ')} of ${tally.sent} ordinary requests`,
        evidence: { ...tally },
      }]
    },
  }
}
