/**
 * Rate-limit response headers. Every response of a rate-limited route carries, for the
 * limiters it passed through (ip first, then user):
 *
 *   RateLimit-Policy: "ip";q=1000;w=1, "user";q=10;w=10     draft-ietf-httpapi-ratelimit-headers-10
 *   RateLimit: "ip";r=998;t=1, "user";r=4;t=1                 r = remaining now, t = seconds until more quota
 *   RateLimit-Limit / -Remaining / -Reset                     the widely deployed trio, for the binding limiter
 *   Retry-After: 1                                            on 429 only: whole seconds (≥ 1) until a retry can pass
 *
 * The binding limiter is the one that refused the request, else the one with the least
 * remaining quota. docs/target.md explains the choice.
 */
import type { Decision, Limiter } from './limiter.js'

/** Checked is one limiter's decision on a request. */
export interface Checked {
  limiter: Limiter
  decision: Decision
}

/** policyItem renders one limiter as a RateLimit-Policy list item: `"user";q=10;w=10` (w in whole seconds, at least 1). */
export function policyItem(limiter: Limiter): string {
  const { key, limit, perMs } = limiter.spec
  return `"${key}";q=${limit};w=${Math.max(1, Math.ceil(perMs / 1000))}`
}

/** seconds rounds a wait up to whole seconds, as every header here counts in seconds. */
function seconds(ms: number): number {
  return Math.ceil(ms / 1000)
}

/** quotaHeaders appends the headers above, as flat name/value pairs for `res.writeHead`, to `out`. */
export function quotaHeaders(out: string[], checked: readonly Checked[], policies: ReadonlyMap<Limiter, string>): string[] {
  if (checked.length === 0) return out
  let binding = checked[0]!
  let policy = ''
  let state = ''
  for (const c of checked) {
    const sep = policy === '' ? '' : ', '
    policy += sep + policies.get(c.limiter)!
    state += `${sep}"${c.limiter.spec.key}";r=${c.decision.remaining};t=${seconds(c.decision.resetMs)}`
    const tighter = binding.decision.allowed && c.decision.remaining < binding.decision.remaining
    if (!c.decision.allowed || tighter) binding = c
  }
  const { decision } = binding
  out.push(
    'RateLimit-Policy', policy,
    'RateLimit', state,
    'RateLimit-Limit', String(binding.limiter.spec.limit),
    'RateLimit-Remaining', String(decision.remaining),
    'RateLimit-Reset', String(seconds(decision.resetMs)),
  )
  if (!decision.allowed) out.push('Retry-After', String(Math.max(1, seconds(decision.resetMs))))
  return out
}
