import type { Done } from '../engine/dispatch.js'
import type { Finding } from '../result.js'
import { randomAt } from '../rng.js'
import { addArrays, allowance, Answer, boundsFor, BUILTIN_USER, describeBound, maxOf, Permutation, share, Span, Tally } from './tally.js'
import { Endpoint, type Actor, type ActorContext } from './types.js'

/**
 * toggle: like/unlike flip-flop. `users` users each flip their like of each of `posts` (or of
 * one post per user, picked by popularity), over and over. With P = users × posts pairs,
 * arrival n flips pair n mod P, and it is that pair's k-th flip, k = ⌊n / P⌋: a like when k
 * is even, an unlike when k is odd. So the sequence of each pair is fixed by n alone.
 *
 * Sequencing: a pair's flip is only sent once its previous flip answered. An arrival whose
 * pair is still waiting is deferred (counted) and sent as soon as the previous flip answers,
 * with its own send time as its intended time. Flips of one pair therefore never overlap, and
 * the pair's final state is defined: that of its last admitted flip (a throttled flip changes
 * nothing), so the expected net change of the count is the number of pairs whose last admitted
 * flip was a like, which is 0 when every flip was admitted and each pair flipped an even number
 * of times. The integrity read-back checks the counts; this actor reports the expectation.
 *
 * A defended API throttles toggle spam. The finding fires when some user flipped faster than
 * the limit it is judged against (the scenario's user or global policy on like or unlike,
 * else the built-in target's default of 10 per 10 s with a burst of 5) and yet not one flip
 * was throttled: no per-user limit on toggling was seen. At lower flip rates the absence of
 * throttling is expected and the finding holds.
 */

/** Deferred is a flip waiting for its pair's previous flip to answer. */
interface Deferred {
  n: number
  done: Done
}

/** toggle builds the like/unlike flip-flop actor. */
export function toggle(ctx: ActorContext): Actor {
  const o = ctx.actor.options
  if (o.kind !== 'toggle') throw new Error('toggle actor with other options')
  const users = Math.min(o.users, ctx.population.count)
  const perUser = o.posts ? o.posts.length : 1
  const pairs = users * perUser
  const perm = new Permutation(ctx.population.count, ctx.rngKey, ctx.population.first)
  const kPost = ctx.rngKey ^ 0x27d4eb2f
  const busy = new Uint8Array(pairs)
  /** State of each pair after its last admitted flip: 0 untouched, 1 liked, 2 unliked. */
  const state = new Uint8Array(pairs)
  const waiting = new Map<number, Deferred[]>()
  const userFlips = new Int32Array(users)
  const tally = new Tally(ctx.plan.throttleStatus)
  const span = new Span()
  let deferred = 0

  const userOf = (p: number) => perm.at(p % users)
  const postOf = (p: number) => (o.posts ? o.posts[Math.floor(p / users)]! : ctx.pickPost(randomAt(kPost, userOf(p))))

  const flip = (n: number, intendedMs: number, done: Done) => {
    const p = n % pairs
    const like = Math.floor(n / pairs) % 2 === 0
    busy[p] = 1
    userFlips[p % users]!++
    span.add(intendedMs)
    ctx.send(ctx.templates.request(like ? Endpoint.like : Endpoint.unlike, userOf(p), postOf(p)), intendedMs, (r) => {
      if (tally.add(r) === Answer.admitted) state[p] = like ? 1 : 2
      busy[p] = 0
      done()
      // The next flip of this pair goes in a microtask, so a chain of answers that arrive
      // synchronously (a closed pool) cannot grow the stack.
      if (waiting.has(p)) queueMicrotask(() => next(p))
    })
  }

  const next = (p: number) => {
    const q = waiting.get(p)
    if (q === undefined || busy[p]) return
    const d = q.shift()!
    if (q.length === 0) waiting.delete(p)
    flip(d.n, ctx.now(), d.done)
  }

  return {
    identity: (n) => userOf(n % pairs),
    posts: (n) => [postOf(n % pairs)],
    fire(n, intendedMs, done) {
      const p = n % pairs
      if (!busy[p]) return flip(n, intendedMs, done)
      deferred++
      const q = waiting.get(p)
      if (q) q.push({ n, done })
      else waiting.set(p, [{ n, done }])
    },
    state: (shift) => ({ tally: tally.counts(), span: span.state(shift), deferred, state, userFlips }),
    absorb(s) {
      const x = s as { tally: ReturnType<Tally['counts']>; span: Span; deferred: number; state: Uint8Array; userFlips: Int32Array }
      tally.absorb(x.tally)
      span.absorb(x.span)
      deferred += x.deferred
      addArrays(userFlips, x.userFlips)
      // A pair belongs to one user, and a user to one worker: only its worker has touched it.
      for (let p = 0; p < pairs; p++) if (x.state[p] !== 0) state[p] = x.state[p]!
    },
    findings(): Finding[] {
      const t = tally
      const bounds = boundsFor(ctx.plan, ['user', 'global'], ['like', 'unlike'], [BUILTIN_USER])
      const most = maxOf(userFlips)
      const passed = bounds.find((b) => (b.key === 'global' ? t.sent : most) > allowance(b, span.ms))
      const ok = t.sent === 0 || t.throttled > 0 || passed === undefined
      const seconds = Math.max(span.ms, 1) / 1000
      const rate = `${Math.round((Math.max(0, most - 1) / seconds) * 10) / 10}/s` // gaps over the span
      let message: string
      if (t.sent === 0) message = 'sent no flips'
      else if (!ok) message = `none of ${t.sent} like/unlike flips were throttled, though a user flipped ${most} times in ${seconds.toFixed(1)}s (${rate}), past ${describeBound(passed!)}: no per-user limit on toggling was seen`
      else if (t.throttled > 0) message = `toggle spam was throttled: ${t.throttled} of ${t.sent} flips (${share(t.throttled, t.sent)})`
      else message = `flips stayed within ${bounds.map(describeBound).join(' and ')} (at most ${most} per user): nothing needed throttling`
      let liked = 0
      for (const s of state) if (s === 1) liked++
      return [{
        actor: ctx.actor.name, kind: 'toggle', ok, message,
        evidence: {
          ...t.counts(), deferred, users, pairs, maxFlipsPerUser: most, spanMs: Math.round(span.ms),
          judgedAgainst: bounds.map(describeBound), passed: passed ? describeBound(passed) : null,
          // Pairs whose last admitted flip was a like: the net change the counts should show.
          expectedNetLikes: liked,
        },
      }]
    },
  }
}
