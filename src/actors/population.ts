import type { Plan } from '../scenarios/types.js'

/**
 * Which users each actor acts as. Actors that declare their own identities — a flood's or a
 * spoofer's `accounts`, a toggler's `users` — get a slice of the population to themselves,
 * taken from its top in the order the scenario declares them; every other actor shares the
 * rest. So a like farm's accounts are never also ordinary users, whose per-user quota the farm
 * would drain (a target throttling those ordinary requests would be right, and the organic
 * finding wrong). When the declared slices would leave less than half the population to the
 * others, nobody is set apart and all actors share every user.
 */

/** Population is a contiguous range of user indexes. */
export interface Population {
  first: number
  count: number
}

function declared(plan: Plan, i: number): number {
  const o = plan.actors[i]!.options
  if (o.kind === 'flood' || o.kind === 'spoof') return o.accounts
  if (o.kind === 'toggle') return o.users
  return 0
}

/** populations assigns each actor of `plan` its range of users. */
export function populations(plan: Plan): Population[] {
  const total = plan.users.count
  const wanted = plan.actors.map((_, i) => Math.min(declared(plan, i), total))
  const reserved = wanted.reduce((a, b) => a + b, 0)
  if (reserved === 0 || total - reserved < total / 2) return plan.actors.map(() => ({ first: 0, count: total }))
  const shared = { first: 0, count: total - reserved }
  let top = total
  return wanted.map((n) => {
    if (n === 0) return shared
    top -= n
    return { first: top, count: n }
  })
}
