import type { Done } from '../engine/dispatch.js'
import type { Finding } from '../result.js'
import { randomAt } from '../rng.js'
import { GroupWindows, quantiles, spreadStats } from './arrivals.js'
import { addCounts, Answer, Permutation, Tally } from './tally.js'
import { Endpoint, type Actor, type ActorContext, type AfterRun, type Outgoing, type Sent } from './types.js'

/**
 * duplicate: one user likes one post `copies` times per arrival (a group), to see whether the
 * target counts the like more than once. Arrival n is a pure function of n: user perm(n mod U)
 * likes post p(user, ⌊n / U⌋), the user's k-th post in a seeded rotation (or of `posts`), so
 * every arrival is a fresh (user, post) pair until the pairs run out. Every copy carries
 * `x-likebench-group: <n>`. Modes:
 *   - sequential: each copy goes once the previous one answered; its intended time is its own
 *     send time (the wait is the technique, not lag);
 *   - burst: all copies in the same tick through the connection pool;
 *   - race: all copies as one last-byte-synchronised burst over raw sockets (ctx.race), each
 *     counted from its release.
 *
 * A sound API counts one like per (user, post). The built-in target answers 201 Created for a
 * new like and 200 for a repeat, so more than one 201 in a group means the duplicate was
 * counted more than once: the finding fires on any such group, with the extra likes. (A
 * target that answers 200 to both cannot be judged from statuses; the integrity read-back
 * judges the counts themselves.) For burst and race groups the evidence also carries how
 * tightly the copies reached the target, when it recorded arrivals (see arrivals.ts).
 */

/** GROUP_HEADER names the header that tells a duplicate group's copies apart in the target's logs. */
export const GROUP_HEADER = 'x-likebench-group'
/** MAX_GROUPS bounds the groups whose timing is kept for spread measurements. */
const MAX_GROUPS = 10_000

/** Group is one arrival's copies in flight. */
class Group {
  left: number
  created = 0
  first = Infinity
  last = -Infinity
  lastEnd = -Infinity

  constructor(
    readonly n: number,
    readonly copies: number,
    readonly done: Done,
  ) {
    this.left = copies
  }

  /** note folds one answer in and says whether the group is complete. */
  note(r: Sent): boolean {
    if (r.error === null && r.status === 201) this.created++
    if (r.sentAt < this.first) this.first = r.sentAt
    if (r.sentAt > this.last) this.last = r.sentAt
    if (r.endedAt > this.lastEnd) this.lastEnd = r.endedAt
    return --this.left === 0
  }
}

/** duplicate builds the duplicate actor. */
export function duplicate(ctx: ActorContext): Actor {
  const o = ctx.actor.options
  if (o.kind !== 'duplicate') throw new Error('duplicate actor with other options')
  const { copies, mode } = o
  const users = new Permutation(ctx.population.count, ctx.rngKey, ctx.population.first)
  const kPost = ctx.rngKey ^ 0x27d4eb2f
  const postCount = ctx.plan.posts.count
  const tally = new Tally(ctx.plan.throttleStatus)
  const stats = { groups: 0, overCounted: 0, extraLikes: 0, created: 0, existing: 0 }
  const timed = mode !== 'sequential'
  const windows = new GroupWindows(timed ? Math.min(MAX_GROUPS, Math.max(1, ctx.actor.expectedArrivals || MAX_GROUPS)) : 0)
  const sendSpreads: number[] = []
  /** The arrival spread of each group the target's stamps told apart (after the run). */
  let arrivalSpreads: number[] = []
  let arrivalsRecorded = false

  const userOf = (n: number) => users.at(n)
  /** groupId names arrival n's group uniquely in the run (actor names are unique). */
  const groupId = (n: number) => `${ctx.actor.name}#${n}`
  const postOf = (n: number, user: number) => {
    const k = Math.floor(n / ctx.population.count)
    if (o.posts) return o.posts[(k + user) % o.posts.length]!
    return 1 + ((Math.floor(randomAt(kPost, user) * postCount) + k) % postCount)
  }

  /** request builds arrival n's copy: the user's like of the post, tagged with its group. */
  const request = (n: number): Outgoing => {
    const user = userOf(n)
    const req = ctx.templates.request(Endpoint.like, user, postOf(n, user))
    req.headers = [...(req.headers as string[]), GROUP_HEADER, groupId(n)]
    return req
  }

  const answered = (g: Group, r: Sent): boolean => {
    const c = tally.add(r)
    if (c === Answer.admitted) {
      if (r.status === 201) stats.created++
      else stats.existing++
    }
    return g.note(r)
  }

  const close = (g: Group) => {
    stats.groups++
    if (g.created > 1) {
      stats.overCounted++
      stats.extraLikes += g.created - 1
    }
    if (timed) {
      windows.add(groupId(g.n), g.first, g.lastEnd, g.copies)
      if (sendSpreads.length < MAX_GROUPS) sendSpreads.push(g.last - g.first)
    }
    g.done()
  }

  const sequential = (g: Group, req: Outgoing, intendedMs: number) => {
    ctx.send(req, intendedMs, (r) => {
      if (answered(g, r)) close(g)
      else sequential(g, req, ctx.now())
    })
  }

  return {
    identity: userOf,
    posts: (n) => [postOf(n, userOf(n))],
    fire(n, intendedMs, done) {
      const g = new Group(n, copies, done)
      const req = request(n)
      if (mode === 'sequential') return sequential(g, req, intendedMs)
      if (mode === 'race') {
        return ctx.race(Array.from({ length: copies }, () => req), (_i, r) => {
          if (answered(g, r)) close(g)
        })
      }
      const cb = (r: Sent) => {
        if (answered(g, r)) close(g)
      }
      for (let i = 0; i < copies; i++) ctx.send(req, intendedMs, cb)
    },
    async afterRun(after: AfterRun) {
      if (!timed) return
      const arrivals = await after.arrivals()
      arrivalsRecorded = arrivals !== null
      arrivalSpreads = arrivals === null ? [] : windows.spreads(arrivals)
    },
    state: () => ({ tally: tally.counts(), stats, windowGroups: windows.groups, sendSpreads, arrivalSpreads, arrivalsRecorded }),
    absorb(s) {
      const x = s as { tally: ReturnType<Tally['counts']>; stats: typeof stats; windowGroups: number; sendSpreads: number[]; arrivalSpreads: number[]; arrivalsRecorded: boolean }
      tally.absorb(x.tally)
      addCounts(stats, x.stats)
      windows.groups += x.windowGroups
      sendSpreads.push(...x.sendSpreads.slice(0, Math.max(0, MAX_GROUPS - sendSpreads.length)))
      arrivalSpreads.push(...x.arrivalSpreads.slice(0, Math.max(0, MAX_GROUPS - arrivalSpreads.length)))
      arrivalsRecorded ||= x.arrivalsRecorded
    },
    findings(): Finding[] {
      const ok = stats.overCounted === 0
      const what = `${stats.groups} groups of ${copies} ${mode} copies`
      const message = ok
        ? `one like counted per group: ${what}, at most one 201 Created each${stats.created === 0 && stats.groups > 0 ? ' (no 201 seen at all: the statuses cannot tell; see the integrity read-back)' : ''}`
        : `${stats.overCounted} of ${what} counted the same like more than once: ${stats.extraLikes} extra likes (more than one 201 Created per group)`
      return [{
        actor: ctx.actor.name, kind: 'duplicate', ok, message,
        evidence: {
          mode, copies, ...tally.counts(), ...stats,
          ...(timed ? {
            arrivalSpread: arrivalsRecorded ? spreadStats(windows.groups, arrivalSpreads) : null,
            sendSpread: { groups: sendSpreads.length, ...quantiles(sendSpreads) },
          } : {}),
        },
      }]
    },
  }
}
