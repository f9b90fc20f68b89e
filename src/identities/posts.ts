import type { PostPick, PostsPlan } from '../scenarios/types.js'

/**
 * Choosing which post a like goes to. A picker maps a uniform random number u in [0, 1) to
 * a post id in 1..count, so the choice stays a pure function of the seeded counter that
 * produced u (and a schedule split across workers picks the same posts).
 *
 *   uniform     every post alike
 *   zipf(s)     post k with probability ∝ 1/kˢ: a few posts get most likes, as on real feeds
 *   hot(n, p%)  p% of picks uniformly among posts 1..n, the rest among the others
 */

/** PostPicker maps u ∈ [0, 1) to a post id in 1..count. */
export type PostPicker = (u: number) => number

/** postPicker builds the picker for a scenario's posts. */
export function postPicker(posts: PostsPlan): PostPicker {
  return pickerFor(posts.pick, posts.count)
}

function pickerFor(pick: PostPick, count: number): PostPicker {
  switch (pick.kind) {
    case 'uniform':
      return (u) => 1 + Math.floor(u * count)
    case 'zipf':
      return zipfPicker(pick.s, count)
    case 'hot': {
      const hot = Math.min(pick.size, count)
      const cold = count - hot
      if (cold === 0) return (u) => 1 + Math.floor(u * count)
      return (u) => (u < pick.share ? 1 + Math.floor((u / pick.share) * hot) : hot + 1 + Math.floor(((u - pick.share) / (1 - pick.share)) * cold))
    }
  }
}

/** zipfPicker inverts the exact Zipf CDF by binary search (8 bytes per post, built once). */
function zipfPicker(s: number, count: number): PostPicker {
  const cdf = new Float64Array(count)
  let sum = 0
  for (let k = 0; k < count; k++) cdf[k] = sum += 1 / Math.pow(k + 1, s)
  for (let k = 0; k < count; k++) cdf[k]! /= sum
  return (u) => {
    let lo = 0
    let hi = count - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid]! > u) hi = mid
      else lo = mid + 1
    }
    return lo + 1
  }
}
