/**
 * Splitting a run over worker threads (docs/engine.md, "Workers").
 *
 * Every arrival of every actor has an identity: the user, account or source address it acts
 * as (Actor.identity). A worker owns the identities that hash to it, and sends exactly the
 * arrivals whose identity it owns. Every worker walks the whole schedule, so the union of the
 * workers' sends is the single-threaded schedule for the same seed, each arrival sent once,
 * and every request of one identity leaves from one worker in its order. The hash depends on
 * the identity alone, not on the actor, so one user's requests stay together across actors too.
 */

/** MAX_WORKERS bounds --workers: past this, threads cost more in memory and start-up than they add. */
export const MAX_WORKERS = 64

/** RATE_PER_WORKER is the peak rate one worker is planned for when the worker count is chosen automatically. */
export const RATE_PER_WORKER = 10_000

/** SHARE_SAMPLE is how many arrivals are looked at to estimate each worker's share of an actor. */
export const SHARE_SAMPLE = 4096

/** ownerOf returns the worker (0 … workers − 1) that sends every request of identity `id`. */
export function ownerOf(id: number, workers: number): number {
  if (workers <= 1) return 0
  // murmur3's finaliser, over both 32-bit halves: consecutive ids land on different workers.
  let h = (id | 0) ^ Math.floor(id / 0x1_0000_0000)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) % workers
}

/** owns returns the filter of worker `part`: true for the arrivals n whose identity it owns. */
export function owns(identity: (n: number) => number, part: number, workers: number): (n: number) => boolean {
  return (n) => ownerOf(identity(n), workers) === part
}

/**
 * shares estimates each worker's share of an actor's arrivals from its first `sample`
 * identities. It decides how a closed-model actor's concurrency and an open-model actor's
 * in-flight cap are divided, so a worker that owns none of an actor (a farm on one address)
 * gets none of them.
 */
export function shares(identity: (n: number) => number, workers: number, sample = SHARE_SAMPLE): number[] {
  const counts = new Array<number>(workers).fill(0)
  for (let n = 0; n < sample; n++) counts[ownerOf(identity(n), workers)]!++
  return counts.map((c) => c / sample)
}

/** apportion splits the whole number `total` in proportion to `weights` (largest remainder): the parts sum to `total`. */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0)
  if (sum <= 0) return weights.map((_, i) => (i === 0 ? total : 0))
  const exact = weights.map((w) => (total * w) / sum)
  const parts = exact.map(Math.floor)
  let left = total - parts.reduce((s, p) => s + p, 0)
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left <= 0) break
    parts[i]!++
    left--
  }
  return parts
}

/**
 * capShare is worker `part`'s in-flight cap for an open-model actor: its share of the cap,
 * at least 1 when it owns any of the actor's arrivals (so a cap can only be exceeded by
 * rounding up, never starve a worker that has arrivals to send).
 */
export function capShare(cap: number, weights: readonly number[], part: number): number {
  if (weights[part]! <= 0) return 0
  return Math.max(1, apportion(cap, weights)[part]!)
}

/**
 * nextOwned returns a closed-model sequence for one worker: each call gives the next arrival
 * index it owns, scanning upwards. It gives up (returns −1) after `maxSkip` unowned indices
 * in a row, which only an actor whose identities change ownership after the sample can reach.
 */
export function nextOwned(mine: (n: number) => boolean, maxSkip = 1_000_000): () => number {
  let n = 0
  return () => {
    for (let skipped = 0; skipped < maxSkip; skipped++, n++) {
      if (mine(n)) return n++
    }
    return -1
  }
}

/** autoWorkers is the default worker count: the cores this machine has (capped), no more than the plan's peak rate needs. */
export function autoWorkers(cores: number, peakRate: number, closed: boolean, builtin: boolean): number {
  // A built-in target runs in a child process on this machine: leave it a core.
  const usable = Math.max(1, Math.min(cores, MAX_WORKERS) - (builtin ? 1 : 0))
  if (closed) return usable
  return Math.max(1, Math.min(usable, Math.ceil(peakRate / RATE_PER_WORKER)))
}
