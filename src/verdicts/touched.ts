import type { Actor } from '../actors/types.js'
import { actorSchedule } from '../engine/arrival.js'
import type { Plan } from '../scenarios/types.js'

/**
 * Which posts a run will like or unlike, known before it sends anything, so their counts can
 * be read first. Actors are pure functions of the arrival index, so each open-model actor's
 * arrival cursor is walked (nothing is sent) asking `posts(n)`. An actor that cannot say
 * (closed model, no `posts()`, or a schedule too long to walk in MAX_WALK arrivals or
 * WALK_BUDGET_MS) makes the whole post range count as touched, up to MAX_READS posts.
 */

/** MAX_READS caps how many posts are read before and after a run. */
export const MAX_READS = 10_000
/** MAX_WALK caps how many arrivals of one actor are walked to find its posts. */
export const MAX_WALK = 200_000
/** WALK_BUDGET_MS caps the time spent walking all actors' schedules before the run. */
export const WALK_BUDGET_MS = 2000

/** Touched is the set of posts to read, and why it is what it is. */
export interface Touched {
  posts: number[]
  notes: string[]
}

/** touchedPosts lists the posts the plan's traffic will touch (sorted), with notes on any fallback or cap. */
export function touchedPosts(plan: Plan, actors: readonly Actor[]): Touched {
  const set = new Set<number>()
  const blind: string[] = []
  const deadline = performance.now() + WALK_BUDGET_MS
  plan.actors.forEach((a, index) => {
    const actor = actors[index]
    if (a.model === 'closed' || a.expectedArrivals > MAX_WALK || actor?.posts === undefined) return void blind.push(a.name)
    const cursor = actorSchedule(plan.seed, a).cursor()
    for (let walked = 0; cursor.next() !== undefined; walked++) {
      if (walked >= MAX_WALK || ((walked & 1023) === 1023 && performance.now() > deadline)) return void blind.push(a.name)
      for (const p of actor.posts(cursor.index)) if (p >= 1 && p <= plan.posts.count) set.add(p)
    }
  })
  const notes: string[] = []
  if (blind.length) {
    const all = Math.min(plan.posts.count, MAX_READS)
    for (let p = 1; p <= all; p++) set.add(p)
    notes.push(`${blind.join(', ')}: cannot say in advance which posts ${blind.length > 1 ? 'they touch' : 'it touches'}, so all posts are read` +
      (plan.posts.count > MAX_READS ? ` — only posts 1..${MAX_READS} of ${plan.posts.count}` : ''))
  }
  let posts = [...set].sort((x, y) => x - y)
  if (posts.length > MAX_READS) {
    notes.push(`${posts.length} posts are touched; only the first ${MAX_READS} are read`)
    posts = posts.slice(0, MAX_READS)
  }
  return { posts, notes }
}
